"""Where each app goes: subnet arithmetic and target placement (VNet, subnet, size). Reads analysis results; knows nothing of gateways or outputs."""
