module kinspect.dev/lab/tools

go 1.24.0
