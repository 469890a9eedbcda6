package provisioner

import (
	"context"
	"errors"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Store is where the provisioner keeps its records. It is narrow so that
// another database (PostgreSQL) can take SQLite's place.
//
// States only move forward: an update that would give a record an
// earlier state than the stored one writes the other fields and keeps the
// state (nodeRec.setState already refuses; the store checks again).
type Store interface {
	// CreateLaunch stores a launch and its nodes in one transaction. It
	// fails with ErrExists when the launch id or a node id is taken.
	CreateLaunch(ctx context.Context, l launchRec, nodes []nodeRec) error
	// Launch returns a launch; ErrNotFound for an unknown id.
	Launch(ctx context.Context, id string) (launchRec, error)
	// Launches returns every launch, oldest first.
	Launches(ctx context.Context) ([]launchRec, error)
	// LaunchesIn returns the launches with from ≤ state < to (by
	// number; a zero bound is open), oldest first.
	LaunchesIn(ctx context.Context, from, to epu.State) ([]launchRec, error)
	// CountLaunches counts the launches with from ≤ state < to.
	CountLaunches(ctx context.Context, from, to epu.State) (int, error)
	// UpdateLaunch applies f to the stored launch in a transaction and
	// writes it when f returns true; it returns the launch as stored and
	// whether it was written. ErrNotFound for an unknown id.
	UpdateLaunch(ctx context.Context, id string, f func(*launchRec) bool) (launchRec, bool, error)
	// UpdateLaunches applies f to each launch of ids in one transaction
	// and returns the records it wrote; unknown ids are skipped.
	UpdateLaunches(ctx context.Context, ids []string, f func(*launchRec) bool) ([]launchRec, error)

	// InsertNode stores a node outside any launch (a stub record for a
	// terminate of an unknown id); ErrExists when the id is taken.
	InsertNode(ctx context.Context, n nodeRec) error
	// Node returns a node; ErrNotFound for an unknown id.
	Node(ctx context.Context, id string) (nodeRec, error)
	// Nodes returns every node, by launch then index.
	Nodes(ctx context.Context) ([]nodeRec, error)
	// NodesWhere returns the nodes f selects, by launch then index.
	NodesWhere(ctx context.Context, f NodeFilter) ([]nodeRec, error)
	// ViewsWhere returns the views of the nodes f selects (what the query
	// loop needs, without the history), by launch then index.
	ViewsWhere(ctx context.Context, f NodeFilter) ([]nodeView, error)
	// CountNodes counts the nodes f selects.
	CountNodes(ctx context.Context, f NodeFilter) (int, error)
	// CountLive counts the nodes that have, or may get, an instance:
	// short of a final state, or final with an instance that may exist
	// (kept up to date by the store itself: no scan).
	CountLive(ctx context.Context) (int, error)
	// CountLiveWith is CountLive plus, for each launch of pending that is
	// not in the store, its count; both read at one instant, so a launch
	// stored meanwhile is counted once (provision's max_nodes with the
	// requests being stored).
	CountLiveWith(ctx context.Context, pending map[string]int) (int, error)
	// CountToTerminate counts the nodes the terminator has work for:
	// TERMINATING, or final with an instance that may exist (no scan).
	CountToTerminate(ctx context.Context) (int, error)
	// CountByState counts the nodes in each state.
	CountByState(ctx context.Context) (map[epu.State]int, error)
	// LaunchNodes returns the nodes of a launch, by index.
	LaunchNodes(ctx context.Context, launchID string) ([]nodeRec, error)
	// UpdateNode is UpdateLaunch for a node.
	UpdateNode(ctx context.Context, id string, f func(*nodeRec) bool) (nodeRec, bool, error)
	// UpdateNodes applies f to each node of ids in one transaction and
	// returns the records it wrote; unknown ids are skipped.
	UpdateNodes(ctx context.Context, ids []string, f func(*nodeRec) bool) ([]nodeRec, error)
	// SettledLaunches returns the TERMINATING launches none of whose nodes
	// may still have an instance (all final, none with a possible one).
	SettledLaunches(ctx context.Context) ([]string, error)
	// Empty reports whether the store holds no launch and no node.
	Empty(ctx context.Context) (bool, error)

	// Disabled and SetDisabled keep the flag terminate_all sets and
	// enable clears.
	Disabled(ctx context.Context) (bool, error)
	SetDisabled(ctx context.Context, disabled bool) error

	// HostKeys pins the workers' SSH host keys (see HostKeyPinner).
	HostKeys

	Close() error
}

// NodeFilter selects nodes: From ≤ state < To by number (a zero bound is
// open) and, when Clouds is not empty, whose instance is in one of those
// cloud states, of one launch when LaunchID is set.
type NodeFilter struct {
	From, To epu.State
	Clouds   []cloudState
	LaunchID string // only this launch's nodes, when set
}

// Filters the provisioner uses.
var (
	// maybeLive: nodes that have, or may get, an instance: short of a
	// final state, or final with an instance that may exist.
	notFinal    = NodeFilter{To: epu.Terminated}
	finalMaybe  = NodeFilter{From: epu.Terminated, Clouds: []cloudState{cloudIntent, cloudLive}}
	toQuery     = NodeFilter{From: epu.Pending, To: epu.Terminated, Clouds: []cloudState{cloudLive}}
	terminating = NodeFilter{From: epu.Terminating, To: epu.Terminated}
	beforeTerm  = NodeFilter{To: epu.Terminating}
)

// Store errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)
