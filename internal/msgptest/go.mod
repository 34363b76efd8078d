module github.com/uactor-go/uactor/internal/msgptest

go 1.26.0

require (
	github.com/tinylib/msgp v1.6.5
	github.com/uactor-go/uactor v0.0.0-00010101000000-000000000000
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
)

replace github.com/uactor-go/uactor => ../..
