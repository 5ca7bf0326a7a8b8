#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// `modproxy bench --compare`: two servers measured in alternating rounds,
// summarised by the median of each metric (robust to one disturbed round)
// and the B/A ratios of the headline metrics. Works on ReportJson objects, so
// the medians have exactly the single-run schema.
namespace modproxy::loadgen {

// Each number in the result is the median of that number across `runs`
// (all ReportJson objects; a key missing from some run, such as a status code
// seen in only one round, counts as 0 there). Non-numbers come from the first
// run. An even number of runs gives the mean of the two middle values,
// rounded to an integer where the inputs are integers (counts).
nlohmann::ordered_json MedianReport(const std::vector<nlohmann::ordered_json>& runs);

// {"a": MedianReport(a), "b": MedianReport(b), "rounds": [{"a":..,"b":..},...],
//  "ratios": {"requests_per_s", "bytes_per_s", "p50", "p99"}}: B divided by A
// for the medians (p50 and p99 of latency_ms); null where A is 0.
// `a` and `b` hold one ReportJson per round, in order, and have the same size.
nlohmann::ordered_json CompareJson(const std::vector<nlohmann::ordered_json>& a,
                                   const std::vector<nlohmann::ordered_json>& b);

// One line per measured round: "round 1/3 A  12345.6 req/s ... <url>".
std::string CompareRoundLine(int round, int rounds, char label, const nlohmann::ordered_json& run);

// The human summary of a CompareJson object: medians side by side and ratios.
std::string CompareText(const nlohmann::ordered_json& compare);

}  // namespace modproxy::loadgen
