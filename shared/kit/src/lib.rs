//! Lambda edge kit: tracing, typed config, the SQS batch runner, HTTP problem errors.
