"""VPN gateways: who else uses them, whether they can be deleted, and what they cost (price table and the Retail Prices client)."""
