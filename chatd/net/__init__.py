"""Connection plumbing shared by the line protocols: framing, flood control,
send-queue bounds, per-address limits and keepalive."""
