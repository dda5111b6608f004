"""Link impairment for the Table 6 matrix: impairment descriptions, the user-space relay, the kernel path (tbf,
netem, eBPF loss on a veth between namespaces), and the judgement of whole flows against FLOW D3.1 Table 6."""
