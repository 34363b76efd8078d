package uactor

import "testing"

// origin tells the main module's packages, its external test packages
// among them, from a dependency's and the standard library's, whatever
// the module paths look like.
func TestOriginOfPackages(t *testing.T) {
	saved := modules
	t.Cleanup(func() { modules = saved })
	for _, tc := range []struct {
		mods     []string // the main module, then its dependencies
		pkg      string
		std, dep bool
	}{
		{[]string{"myapp"}, "main", false, false},
		{[]string{"myapp"}, "myapp", false, false},
		{[]string{"myapp"}, "myapp/store", false, false},
		// An external test package's path is its package's with _test.
		{[]string{"myapp"}, "myapp_test", false, false},
		{[]string{"myapp"}, "myapp/store_test", false, false},
		{[]string{"example.com/app"}, "example.com/app_test", false, false},
		{[]string{"myapp", "github.com/google/uuid"}, "github.com/google/uuid", false, true},
		// A module nested in the main module's path is a module of its own.
		{[]string{"example.com/app", "example.com/app/tools"}, "example.com/app/tools/gen", false, true},
		{[]string{"example.com/app", "example.com/app/tools"}, "example.com/app/toolsx", false, false},
		{[]string{"example.com/app/tools", "example.com/app"}, "example.com/app/tools/gen", false, false},
		{[]string{"example.com/app/tools", "example.com/app"}, "example.com/app/x", false, true},
		{[]string{"myapp"}, "net/netip", true, false},
		{[]string{"myapp"}, "example.com/other", false, true},
		{nil, "example.com/other", false, true},
	} {
		modules = func() []string { return tc.mods }
		if std, dep := origin(tc.pkg); std != tc.std || dep != tc.dep {
			t.Errorf("origin(%q) with modules %q = std %v, dep %v; want %v, %v", tc.pkg, tc.mods, std, dep, tc.std, tc.dep)
		}
	}
}
