module kinspect.dev/lab/heartbeat

go 1.24.0
