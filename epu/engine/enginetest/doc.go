// Package enginetest is the test double of a controller for decision
// engines: the original's instant-RUNNING harness
// (epu/decisionengine/test/mockcontroller.py, reference §2.7). Launched
// instances are RUNNING at once, destroyed ones TERMINATING; counters
// follow launches and kills. It is for tests and benchmarks only.
//
// enginetest imports only epu and epu/engine.
package enginetest
