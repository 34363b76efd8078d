package uactor

import (
	"reflect"
	"runtime"
	"strings"
)

// What cannotTravel advises depends on where a type is declared: methods
// can be added, and msgp's generated, only in the type's own package, so
// for a type of another package (the standard library's, say) the fix is
// a type of the program's own that holds it. And a named type over a
// built-in travels once converted to the built-in.

// thisPackage is this package's import path.
var thisPackage = reflect.TypeFor[Empty]().PkgPath()

// callerPackage returns the import path of the package whose code called
// into this one (Expose or Define), or "" if none is found. This package's
// own tests count as a caller.
func callerPackage() string {
	var pcs [64]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if pkg := funcPackage(f.Function); pkg != thisPackage || strings.HasSuffix(f.File, "_test.go") {
			return pkg
		}
		if !more {
			return ""
		}
	}
}

// funcPackage returns the import path in a function's full name, such as
// "example.com/app/msgs.init.func1" or "main.main".
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/') + 1
	if dot := strings.IndexByte(fn[slash:], '.'); dot >= 0 {
		return fn[:slash+dot]
	}
	return fn
}

// foreign reports whether rt is declared in a package other than the one
// that registers it, and names that package.
func foreign(rt reflect.Type) (string, bool) {
	pkg := rt.PkgPath()
	if pkg == "" {
		return "", false
	}
	caller := callerPackage()
	return pkg, caller != "" && caller != pkg
}

// standard reports whether pkg looks like a standard library package: its
// path's first element has no dot, as a module path's usually has.
func standard(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}

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
