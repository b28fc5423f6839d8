// The eBPF backend: see docs/backend-ebpf.md.
export {};
