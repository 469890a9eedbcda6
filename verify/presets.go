package verify

import "time"

// The original's retry budgets (launch-plan-format §2.6). Each wait is also
// bounded by the step's context deadline (pgm_timeout).

// RunningBackoff refreshes the instance state every second.
func RunningBackoff() Backoff {
	return Backoff{Initial: time.Second, Multiplier: 1}
}

// PortBackoff tries the SSH port 129 times (2 when the service is already
// contextualized), 3s apart, with a 10s connect timeout.
func PortBackoff(contextualized bool) Backoff {
	b := Backoff{Initial: 3 * time.Second, Multiplier: 1, Attempts: 129, AttemptTimeout: 10 * time.Second}
	if contextualized {
		b.Attempts = 2
	}
	return b
}

// SSHBackoff runs `ssh true` twice, 10s apart.
func SSHBackoff() Backoff {
	return Backoff{Initial: 10 * time.Second, Multiplier: 1, Attempts: 2}
}
