module github.com/majordomo-go/majordomo

go 1.24

require (
	github.com/google/uuid v1.6.0
	github.com/pebbe/zmq4 v1.4.0
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
)

require go.uber.org/multierr v1.10.0 // indirect
