package registry

import "github.com/uactor-go/uactor/uactor"

// KindName is the name of the registry's kind: every program that imports
// this package can Spawn it, Host it or Connect to one.
const KindName = "github.com/uactor-go/uactor/registry"

// Kind is the registry actor's kind. Its spawn argument is a Config (the
// zero Config gives the defaults); it has no default options, so give
// Listen and AuthKey to Spawn or Host as needed.
var Kind = uactor.Define(KindName, New)

// The registry's methods, to call on a Ref[*Registry]; each runs the
// *Registry method of the same name.
var (
	// Register adds addresses to the registry and returns how many were new.
	Register = uactor.Expose(Kind, "register", (*Registry).Register)
	// Deregister removes addresses from the registry and returns how many were there.
	Deregister = uactor.Expose(Kind, "deregister", (*Registry).Deregister)
	// Pick returns the next live address, round-robin; OK is false when there is none.
	Pick = uactor.Expose(Kind, "pick", (*Registry).Pick)
	// List returns the registered addresses, in registration order.
	List = uactor.Expose(Kind, "list", (*Registry).List)
	// Probe checks every registered address now and returns how many it dropped.
	Probe = uactor.Expose(Kind, "probe", (*Registry).Probe)
)
