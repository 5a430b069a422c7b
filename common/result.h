// Errors as values: every fallible function of isign returns Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace isign::common {

// What went wrong, coarse enough to pick an exit code: common/exit_codes.h's exit_code_for maps
// each kind to one.
enum class ErrorKind {
  usage,        // the user's input is malformed (bad flag, bad reference, bad annotation)
  io,           // reading or writing a local file failed
  key,          // a key file is corrupt, unsupported or of the wrong type
  password,     // the password does not decrypt the key
  network,      // connection, TLS, DNS or timeout
  registry,     // the registry answered with an error (4xx/5xx other than below), or auth failed
  not_found,    // the image, tag or blob does not exist
  throttled,    // 429 persisted after retries
  verification, // signatures exist but none is valid for the given keys
  no_signature, // no signature artifact at all
  limit,        // an input exceeded a safety limit (sizes, layer counts)
  internal,     // a bug or an unexpected library failure
};

// One error: a kind and a one-line message. Callers add context outermost-first with context().
class Error {
public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }
  // The HTTP status of the registry answer this error reports, or 0 when it is not one (a
  // transport failure, a local error). Kept through context().
  long http_status() const noexcept { return http_status_; }
  Error& with_http_status(long status) & {
    http_status_ = status;
    return *this;
  }
  Error&& with_http_status(long status) && { return std::move(with_http_status(status)); }

  // Prefixes what the caller was doing: "what: <previous message>".
  Error& context(std::string_view what) & {
    message_.insert(0, std::string(what) + ": ");
    return *this;
  }
  Error&& context(std::string_view what) && { return std::move(context(what)); }

private:
  ErrorKind kind_;
  std::string message_;
  long http_status_ = 0;
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error(kind, std::move(message));
}

struct Ok {};

namespace detail {

// What Result<T> and Result<void> share: a value (V) or an Error, and access to the error.
template <class V> class ResultBase {
public:
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  Error& error() & {
    assert(!ok());
    return std::get<1>(v_);
  }
  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

protected:
  ResultBase() = default;
  explicit ResultBase(V value) : v_(std::in_place_index<0>, std::move(value)) {}
  explicit ResultBase(Error error) : v_(std::in_place_index<1>, std::move(error)) {}
  std::variant<V, Error> v_;
};

} // namespace detail

// A value or an Error. Accessing the wrong alternative is a programming error (asserted).
template <class T> class [[nodiscard]] Result : public detail::ResultBase<T> {
  using Base = detail::ResultBase<T>;
  using Base::v_;

public:
  Result(T value) : Base(std::move(value)) {}
  Result(Error error) : Base(std::move(error)) {}
  using Base::ok;

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  // The value, or fallback when this holds an error.
  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
};

template <> class [[nodiscard]] Result<void> : public detail::ResultBase<Ok> {
public:
  Result() : ResultBase(Ok{}) {}
  Result(Ok) : ResultBase(Ok{}) {}
  Result(Error error) : ResultBase(std::move(error)) {}
};

} // namespace isign::common

// Propagation, as ccache's TRY: when `result` (any Result, or an expression making one) holds an
// error, return that error from the enclosing function (whose Result may be of another type).
// The _CONTEXT form first adds what the caller was doing; `what` is evaluated only on failure.
#define ISIGN_TRY(result)                                                                          \
  do {                                                                                             \
    if (auto&& isign_try_ = (result); !isign_try_)                                                 \
      return std::move(isign_try_).error();                                                        \
  } while (false)
#define ISIGN_TRY_CONTEXT(result, what)                                                            \
  do {                                                                                             \
    if (auto&& isign_try_ = (result); !isign_try_)                                                 \
      return std::move(isign_try_).error().context(what);                                          \
  } while (false)
