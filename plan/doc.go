// Package plan reads cloudinit.d launch plans into immutable values.
//
// A plan is a top file with [runlevels], [defaults], [globals] and [cloud-*]
// sections, one level file per run level with [svc-NAME] sections, deps files
// with a [deps] section, bootconf templates and programs. Package plan reads
// them with the INI dialect of Python 2's ConfigParser, resolves every key with
// the original's precedence (service, cloud section, defaults, built-in),
// resolves file paths against the defining level file, expands whole-value
// env.NAME references, and checks ${svc.attr} references. It also owns the
// substitution rules used later at run time: the ${} expander (Expander:
// a service's bag expanded in order, each value once, with size and
// nesting limits), shell-word splitting of *_args, bootconf template
// filling and bootenv.sh lines.
//
// Every problem of a plan is reported at once, each naming file, [section] and
// key. Loading is linear in the size of the plan and stops when its context
// is cancelled.
//
// plan is a leaf: it must not import any other package of this module (what
// it checks iaas values against comes in Options.IaaS).
package plan
