// Package controller is the elastic layer's controller (reference §2.4,
// §5.3): it hosts domains, each a pool of workers of one deployable type
// sized by a decision engine, and keeps them alive through the
// provisioner.
//
// For each domain it keeps the instances (fed by the provisioner's node
// record pushes and, at start, by dump_state), the sensor readings (POSTed
// or read from a sensor_cmd) and the workers' health (heartbeats through a
// health monitor), and runs the engine's decide loop: initialize before
// the first decide; decide, reconfigure and queries in one slot; an engine
// error or panic logged and the loop going on. The engine acts through a
// Control that never exceeds the domain's size cap and that, while
// stop-loss holds (more than a fraction of the domain turned unhealthy at
// once), does not destroy the workers it holds. Instances (with the
// attributes engines keep about them, Control.SetAttribute), sensor
// readings and reconfigurations are kept in SQLite in the state
// directory, and reconfigurations are merged over the initial engine
// configuration at restart.
//
// Its HTTP+JSON API (docs/epu-api.md, section "Controller") is served by
// Handler, called through Client; WaitStable is the logic of
// `epu ctl wait-stable`.
//
// controller imports epu, epu/api and epu/engine only; it never imports a
// driver, the pipeline or anything under cmd.
package controller
