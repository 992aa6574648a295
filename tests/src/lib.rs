//! System tests through the front doors (HTTP, queues).
