//! Channels: X, Meta and generic webhooks (handshakes, signatures, parsing) and outbound reply requests.
