//! SDK errors → [`PortError`], inside the adapter: callers see Retry / Drop / Fatal, never SDK types.
//!
//! - throttling, 5xx, timeouts, connection failures → `Unavailable` (the edge retries);
//! - conditional-check failures and transaction conflicts → `Conflict`;
//! - requests DynamoDB/SQS refuse for good (validation, too large) → `Invalid`;
//! - anything else (missing table or queue, access denied) → `Unknown`: a broken setup.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::CancellationReason;
use socialcare_domain::PortError;

/// Error codes that mean "try again later" on DynamoDB, SQS or SNS.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "LimitExceededException",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "KMSThrottlingException",
    "KmsThrottled",
];

const CONFLICT_CODES: &[&str] = &[
    "ConditionalCheckFailedException",
    "TransactionConflictException",
    "IdempotentParameterMismatchException",
];

const INVALID_CODES: &[&str] = &[
    "ValidationException",
    "SerializationException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidParameterException",
    "InvalidParameterCombination",
    "InvalidMessageContents",
    "InvalidBatchEntryId",
    "BatchEntryIdsNotDistinct",
    "BatchRequestTooLong",
    "MessageTooLong",
    "TooManyEntriesInBatchRequest",
    "EmptyBatchRequest",
    "MissingParameter",
    "ItemCollectionSizeLimitExceededException",
    "ReceiptHandleIsInvalid",
];

/// What kind of failure an error code is. Public so the edge and tests can reuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Retryable,
    Conflict,
    Invalid,
    Other,
}

/// Classifies an AWS error code (`AWS.SimpleQueueService.` prefixes and `#` namespaces stripped).
pub fn classify_code(code: &str) -> Class {
    let code = code.rsplit(['#', '.']).next().unwrap_or(code);
    if RETRYABLE_CODES.contains(&code) {
        Class::Retryable
    } else if CONFLICT_CODES.contains(&code) {
        Class::Conflict
    } else if INVALID_CODES.contains(&code) {
        Class::Invalid
    } else {
        Class::Other
    }
}

fn by_class(class: Class, text: String) -> PortError {
    match class {
        Class::Retryable => PortError::Unavailable(text),
        Class::Conflict => PortError::Conflict(text),
        Class::Invalid => PortError::Invalid(text),
        Class::Other => PortError::Unknown(anyhow::anyhow!(text)),
    }
}

/// Maps any SDK error of DynamoDB, SQS or SNS (they share the smithy runtime).
pub(crate) fn map_sdk<E, R>(op: &str, err: SdkError<E, R>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PortError::Unavailable(format!("{op}: {}", DisplayErrorContext(&err)))
        }
        SdkError::ConstructionFailure(_) => PortError::Unknown(anyhow::anyhow!("{op}: {}", DisplayErrorContext(&err))),
        SdkError::ServiceError(ctx) => {
            let code = err.code().unwrap_or("");
            let text = format!("{op}: {code}: {}", err.message().unwrap_or("no message"));
            let status = ctx.raw().status_code();
            match classify_code(code) {
                Class::Other if status >= 500 || status == 429 => PortError::Unavailable(text),
                class => by_class(class, text),
            }
        }
        _ => PortError::Unknown(anyhow::anyhow!("{op}: {}", DisplayErrorContext(&err))),
    }
}

/// The HTTP status of a raw response (a trait so tests and every SDK share one mapper).
pub(crate) trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_dynamodb::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// A TransactWriteItems cancellation, item by item, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cancelled {
    /// The cancellation code of each item (`None` when that item was fine).
    pub codes: Vec<Option<String>>,
    pub message: String,
}

impl Cancelled {
    pub(crate) fn from_reasons(reasons: &[CancellationReason], message: &str) -> Self {
        Self {
            codes: reasons
                .iter()
                .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                .collect(),
            message: message.to_string(),
        }
    }

    /// Whether item `i` failed its condition.
    pub(crate) fn failed_condition(&self, i: usize) -> bool {
        self.codes
            .get(i)
            .is_some_and(|c| c.as_deref() == Some("ConditionalCheckFailed"))
    }

    pub(crate) fn any_condition_failed(&self) -> bool {
        (0..self.codes.len()).any(|i| self.failed_condition(i))
    }

    /// What to tell the caller when nobody handled the cancellation more precisely.
    pub(crate) fn into_port_error(self, op: &str) -> PortError {
        let codes: Vec<&str> = self.codes.iter().filter_map(|c| c.as_deref()).collect();
        let text = format!("{op}: transaction cancelled ({}): {}", codes.join(","), self.message);
        if self.any_condition_failed() || codes.contains(&"TransactionConflict") {
            PortError::Conflict(text)
        } else if codes
            .iter()
            .any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded"))
        {
            PortError::Unavailable(text)
        } else if codes
            .iter()
            .any(|c| matches!(*c, "ValidationError" | "ItemCollectionSizeLimitExceeded"))
        {
            PortError::Invalid(text)
        } else {
            PortError::Unavailable(text)
        }
    }
}

/// A TransactWriteItems outcome: done, cancelled (with reasons), or another error.
pub(crate) enum TransactError {
    Cancelled(Cancelled),
    Other(PortError),
}

pub(crate) fn map_transact(
    op: &str,
    err: SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
) -> TransactError {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
    if let SdkError::ServiceError(ctx) = &err
        && let E::TransactionCanceledException(e) = ctx.err()
    {
        return TransactError::Cancelled(Cancelled::from_reasons(
            e.cancellation_reasons(),
            e.message().unwrap_or(""),
        ));
    }
    TransactError::Other(map_sdk(op, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_with_or_without_prefixes() {
        let table = [
            ("ProvisionedThroughputExceededException", Class::Retryable),
            ("com.amazonaws.dynamodb.v20120810#ThrottlingException", Class::Retryable),
            ("AWS.SimpleQueueService.RequestThrottled", Class::Retryable),
            ("ConditionalCheckFailedException", Class::Conflict),
            ("ValidationException", Class::Invalid),
            ("AWS.SimpleQueueService.NonExistentQueue", Class::Other),
            ("ResourceNotFoundException", Class::Other),
        ];
        for (code, class) in table {
            assert_eq!(classify_code(code), class, "{code}");
        }
    }

    #[test]
    fn cancellation_reasons_map_to_conflict_or_unavailable() {
        let reasons = |codes: &[&str]| {
            codes
                .iter()
                .map(|c| CancellationReason::builder().code(*c).build())
                .collect::<Vec<_>>()
        };
        let c = Cancelled::from_reasons(&reasons(&["None", "ConditionalCheckFailed"]), "m");
        assert!(!c.failed_condition(0));
        assert!(c.failed_condition(1));
        assert!(matches!(c.into_port_error("t"), PortError::Conflict(_)));
        let c = Cancelled::from_reasons(&reasons(&["ThrottlingError", "None"]), "m");
        assert!(matches!(c.into_port_error("t"), PortError::Unavailable(_)));
        let c = Cancelled::from_reasons(&reasons(&["TransactionConflict"]), "m");
        assert!(matches!(c.into_port_error("t"), PortError::Conflict(_)));
    }
}
