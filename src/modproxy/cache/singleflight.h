#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

// Collapses concurrent requests for one key into one piece of work: the first
// caller's work runs on the worker pool; every caller, including those that
// arrive while it runs, gets a copy of its result on its own executor. No
// thread blocks while waiting, so a slow upstream never stalls an event loop
// or a worker.
namespace modproxy::cache {

template <typename T>
class Singleflight {
 public:
  using Work = std::function<T()>;

  // Not a coroutine itself: it starts (or joins) the flight at once and
  // returns the awaitable of its result. Callers pass named objects: g++ 12
  // mishandles temporaries with destructors inside a co_await expression.
  boost::asio::awaitable<T> Do(const std::string& key, boost::asio::thread_pool& pool,
                               const Work& work) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard lock(mu_);
      std::shared_ptr<Flight>& slot = flights_[key];
      if (!slot) {
        slot = std::make_shared<Flight>();
        leader = true;
      }
      flight = slot;
    }
    if (leader) {
      boost::asio::post(pool, [this, key, flight, work] {
        T value = work();
        // Unregister before publishing: a caller arriving after this point
        // starts a new flight and sees the stored result, never a stale one.
        {
          std::lock_guard lock(mu_);
          flights_.erase(key);
        }
        flight->Finish(std::move(value));
      });
    }
    auto initiation = [flight](auto handler) {
      // A tracked executor counts as outstanding work: the waiter's event loop
      // must not run out of work (and return during a graceful stop) while
      // its request waits here for a worker.
      auto executor = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                          boost::asio::execution::outstanding_work.tracked);
      auto shared = std::make_shared<decltype(handler)>(std::move(handler));
      flight->AddWaiter([shared, executor](const T& outcome) {
        boost::asio::post(executor, [shared, outcome]() mutable { std::move (*shared)(outcome); });
      });
    };
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(T)>(
        std::move(initiation), boost::asio::use_awaitable);
  }

 private:
  class Flight {
   public:
    using Waiter = std::function<void(const T&)>;

    void AddWaiter(Waiter waiter) {
      std::unique_lock lock(mu_);
      if (!result_) {
        waiters_.push_back(std::move(waiter));
        return;
      }
      lock.unlock();
      waiter(*result_);
    }

    void Finish(T result) {
      std::vector<Waiter> waiters;
      {
        std::lock_guard lock(mu_);
        result_.emplace(std::move(result));
        waiters.swap(waiters_);
      }
      for (Waiter& waiter : waiters) waiter(*result_);
    }

   private:
    std::mutex mu_;
    std::optional<T> result_;      // set once, guarded by mu_ until then
    std::vector<Waiter> waiters_;  // guarded by mu_
  };

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;  // guarded by mu_
};

}  // namespace modproxy::cache
