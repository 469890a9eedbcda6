package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is the one error shape of every endpoint:
//
//	{"error": {"code": "bad_request", "field": "node_ids", "message": "…"}}
//
// Field names the request field at fault, when one is.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s, HTTP %d)", e.Field, e.Message, e.Code, e.Status)
	}
	return fmt.Sprintf("%s (%s, HTTP %d)", e.Message, e.Code, e.Status)
}

// Error codes.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// BadField is a 400 naming the request field at fault.
func BadField(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 naming what was not found.
func NotFound(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflict is a 409: the request is well formed but the daemon's state
// refuses it.
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// Unavailable is a 503: try again later.
func Unavailable(format string, args ...any) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: fmt.Sprintf(format, args...)}
}

// asError turns any error into the shape answered: an *Error as it is,
// anything else a 500 whose message is the error's text.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: err.Error()}
}

// IsStatus reports whether err is an *Error with that HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
