package iaas

import "errors"

// Error classes. Drivers wrap their errors so that errors.Is finds exactly one
// of these; wrappers and the engine decide retry or failure from the class.
var (
	// ErrNotFound: the cloud does not know the instance (or image, key...).
	ErrNotFound = errors.New("not found")
	// ErrThrottled: the cloud asked us to slow down; retry with backoff.
	ErrThrottled = errors.New("throttled")
	// ErrTransient: a failure that may pass (network, 5xx); retry.
	ErrTransient = errors.New("transient failure")
	// ErrCapacity: the cloud has no room (quota, stock-out); retrying soon
	// rarely helps.
	ErrCapacity = errors.New("insufficient capacity")
	// ErrPermanent: the request itself is wrong (bad image, bad key pair,
	// bad credentials); never retried.
	ErrPermanent = errors.New("permanent failure")
	// ErrNotImplemented: the driver cannot do this; callers must handle it.
	ErrNotImplemented = errors.New("not implemented")
)

// Retryable reports whether err is of a class worth retrying.
func Retryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrTransient)
}

// CloudError is a classified error from a cloud API call.
type CloudError struct {
	Class   error  // one of the Err* sentinels
	Op      string // "launch", "describe", "terminate"
	Code    string // the cloud's own error code, if any
	Message string
	Hint    string // what the user can do about it, if known
}

func (e *CloudError) Error() string {
	s := e.Op
	if s != "" {
		s += ": "
	}
	if e.Code != "" {
		s += e.Code + ": "
	}
	if e.Message != "" {
		s += e.Message
	} else {
		s += e.Class.Error()
	}
	return s
}

// Unwrap returns the class, so errors.Is(err, ErrCapacity) works.
func (e *CloudError) Unwrap() error { return e.Class }
