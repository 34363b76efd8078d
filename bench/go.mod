module github.com/uactor-go/uactor/bench

go 1.26.0

require (
	github.com/tinylib/msgp v1.6.5
	github.com/uactor-go/uactor v0.0.0-00010101000000-000000000000
	google.golang.org/grpc v1.85.0
	storj.io/drpc v1.0.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/zeebo/errs v1.2.2 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/uactor-go/uactor => ../
