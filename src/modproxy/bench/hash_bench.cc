// Micro-benchmarks of the hashing the integrity work will put on the miss
// path: raw SHA-256 throughput (OpenSSL EVP) at .info, typical-zip and
// large-zip sizes, and Go's "h1:" directory hash (golang.org/x/mod/sumdb/dirhash
// Hash1) over a module zip, computed inline here because the project does not
// have it yet. They bound what verifying a fetched zip will cost.
#include <zip.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "modproxy/testkit/make_zip.h"

namespace {

using Digest = std::array<unsigned char, 32>;

Digest Sha256(std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

std::string RandomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

std::string Hex(const Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

// SHA-256 of one buffer: 1 KiB (an .info or .mod), 64 KiB, 5 MiB (a large zip).
void BM_Sha256(benchmark::State& state) {
  const std::string data = RandomBytes(static_cast<std::size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(1 << 10)->Arg(64 << 10)->Arg(5 << 20);

// A 50-file module zip (go.mod plus 49 files of 1-8 KiB) held in memory.
const std::string& ModuleZip() {
  static const std::string zip = [] {
    std::map<std::string, std::string> files;
    const std::string prefix = "example.com/bench/m0001@v1.0.0/";
    files[prefix + "go.mod"] = "module example.com/bench/m0001\n\ngo 1.19\n";
    for (int i = 1; i < 50; ++i) {
      const std::size_t size = 1024 * (1 + static_cast<std::size_t>(i % 8));
      files[prefix + "pkg/file" + std::to_string(i) + ".go"] =
          RandomBytes(size, static_cast<unsigned>(i));
    }
    return modproxy::testkit::MakeZip(files);
  }();
  return zip;
}

// dirhash.Hash1: sha256 of each file, lines "<hex>  <name>\n" sorted by name,
// sha256 of those lines, "h1:" + base64. Includes reading (inflating) each
// entry from the zip, as dirhash.HashZip does.
std::string Hash1(const std::string& zip_bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &error);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  std::vector<std::string> lines;
  const zip_int64_t entries = zip_get_num_entries(archive, 0);
  std::string content;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat);
    content.resize(stat.size);
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    zip_fread(file, content.data(), stat.size);
    zip_fclose(file);
    lines.push_back(Hex(Sha256(content)) + "  " + stat.name + "\n");
  }
  zip_close(archive);
  std::sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return std::string_view(a).substr(66) < std::string_view(b).substr(66);  // by name
  });
  std::string summary;
  for (const std::string& line : lines) summary += line;
  const Digest digest = Sha256(summary);
  unsigned char base64[64];
  EVP_EncodeBlock(base64, digest.data(), static_cast<int>(digest.size()));
  return "h1:" + std::string(reinterpret_cast<const char*>(base64));
}

void BM_DirHashH1(benchmark::State& state) {
  const std::string& zip = ModuleZip();
  for (auto _ : state) benchmark::DoNotOptimize(Hash1(zip));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(zip.size()));
}
BENCHMARK(BM_DirHashH1);

}  // namespace
