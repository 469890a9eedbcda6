package iaas

// Wrapper is implemented by drivers that add behaviour around another
// driver ([WithRetry], [WithLimit], [WithRateLimit]).
type Wrapper interface {
	Unwrap() Driver
}

// As finds the first driver in the wrapper chain of d (d itself first) that
// implements T, so optional abilities (io.Closer, a SpecValidator) stay
// reachable through wrappers.
func As[T any](d Driver) (T, bool) {
	for d != nil {
		if t, ok := d.(T); ok {
			return t, true
		}
		w, ok := d.(Wrapper)
		if !ok {
			break
		}
		d = w.Unwrap()
	}
	var zero T
	return zero, false
}
