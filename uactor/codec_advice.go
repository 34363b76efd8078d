package uactor

import (
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
)

// What cannotTravel advises depends on where a type is declared: methods
// can be added, and msgp's generated, only in the type's own package, so
// for a type of another package (the standard library's, say) the fix is
// a type of the program's own that holds it. And a named type over a
// built-in travels once converted to the built-in.

// origin says where package pkg comes from: the standard library, to
// which no program adds methods, or a dependency, which may be the
// program's own (a module of its, or one it vendors) or not. Neither is
// the main module's. A module the build does not list (a test binary
// lists only the main module) is told from the standard library by the
// dot that a module path's first element has and the standard library's
// lack.
func origin(pkg string) (std, dep bool) {
	// An external test package is its package's, with "_test" added to its
	// path: matched as that package's, not a module's unlisted one.
	pkg = strings.TrimSuffix(pkg, "_test")
	if pkg == "" || pkg == "main" {
		return false, false
	}
	// The longest module path that holds pkg is its module's: a module may
	// be nested in another's path (example.com/app/tools in example.com/app).
	mods, found := modules(), -1
	for i, m := range mods {
		if (pkg == m || strings.HasPrefix(pkg, m+"/")) && (found < 0 || len(m) > len(mods[found])) {
			found = i
		}
	}
	if found >= 0 {
		return false, found > 0
	}
	first, _, _ := strings.Cut(pkg, "/")
	if strings.Contains(first, ".") {
		return false, true
	}
	return true, false
}

// modules lists the main module's path, then its dependencies'.
var modules = sync.OnceValue(func() []string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Path == "" {
		return nil
	}
	mods := []string{bi.Main.Path}
	for _, d := range bi.Deps {
		mods = append(mods, d.Path)
	}
	return mods
})

// predeclared are the types of the basic kinds, by kind.
var predeclared = map[reflect.Kind]reflect.Type{
	reflect.Bool: reflect.TypeFor[bool](), reflect.String: reflect.TypeFor[string](),
	reflect.Int: reflect.TypeFor[int](), reflect.Int8: reflect.TypeFor[int8](),
	reflect.Int16: reflect.TypeFor[int16](), reflect.Int32: reflect.TypeFor[int32](),
	reflect.Int64: reflect.TypeFor[int64](), reflect.Uint: reflect.TypeFor[uint](),
	reflect.Uint8: reflect.TypeFor[uint8](), reflect.Uint16: reflect.TypeFor[uint16](),
	reflect.Uint32: reflect.TypeFor[uint32](), reflect.Uint64: reflect.TypeFor[uint64](),
	reflect.Uintptr: reflect.TypeFor[uintptr](), reflect.Float32: reflect.TypeFor[float32](),
	reflect.Float64: reflect.TypeFor[float64](), reflect.Complex64: reflect.TypeFor[complex64](),
	reflect.Complex128: reflect.TypeFor[complex128](),
}

// underlyingBuiltin returns the built-in type that named type rt is
// declared over (float64 for type Celsius float64), if that travels.
func underlyingBuiltin(rt reflect.Type) (reflect.Type, bool) {
	u := predeclared[rt.Kind()]
	switch rt.Kind() {
	case reflect.Slice:
		u = reflect.SliceOf(rt.Elem())
	case reflect.Map:
		u = reflect.MapOf(rt.Key(), rt.Elem())
	}
	if u == nil || u == rt {
		return nil, false
	}
	_, table := builtins().forms[u]
	return u, table || u.Kind() == reflect.String || u.Kind() == reflect.Uint8 || u.Kind() == reflect.Uintptr ||
		u == reflect.TypeFor[[]byte]()
}
