// Deadlines per call on a shared client: a server answers each request within its own time while
// all requests share one client's connections and tokens.
#pragma once

#include <chrono>
#include <memory>

#include "registry/client.h"

namespace isign::registry {

// A view of base whose every request starts and ends before deadline (and before base's own
// ClientOptions::deadline, whichever is first); waits for retries and for another call's token
// end there too. Past it, calls fail as network errors naming the request's deadline. Shares
// base's connections, tokens and caches; base must outlive the view. Thread-safe as base is.
std::unique_ptr<Client> with_deadline(Client& base, std::chrono::steady_clock::time_point deadline);

} // namespace isign::registry
