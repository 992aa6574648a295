//! A case moving from one customer to another (a merge of customers, or its split): the case
//! and, for an active case, both customers' active-case pointers, in one transaction.

use super::{build_err, case_item, case_pk};
use crate::codec::{n, s};
use crate::error::TransactError;
use crate::store::AwsStore;
use crate::tables::schema::{ACTIVE, CUSTOMER, VERSION};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use socialcare_domain::{Case, CustomerId, PortError, PortResult};

impl AwsStore {
    /// The case, conditional on its version, activeness and old customer; for an active case,
    /// `from`'s pointer deleted (if it points at the case) and the new customer's set (unless it
    /// points at another case).
    pub(super) async fn move_between_customers(&self, case: &Case, expected: u64, from: &CustomerId) -> PortResult<()> {
        if case.version != expected + 1 {
            return Err(PortError::Invalid(format!(
                "case {} must be moved at version {}",
                case.id,
                expected + 1
            )));
        }
        let table = &self.tables.cases;
        let active = case.status.is_active();
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(case_item(case, self.retention.as_ref())?))
            .condition_expression("#ver = :expected AND #active = :active AND #cust = :from")
            .expression_attribute_names("#ver", VERSION)
            .expression_attribute_names("#active", ACTIVE)
            .expression_attribute_names("#cust", CUSTOMER)
            .expression_attribute_values(":expected", n(expected))
            .expression_attribute_values(":active", AttributeValue::Bool(active))
            .expression_attribute_values(":from", s(from.as_str()))
            .build()
            .map_err(build_err)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if active {
            items.push(self.pointer_delete(from, case)?);
            items.push(self.pointer_put(case)?);
        }
        match self.transact("CaseStore::move_case", items).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed_condition(0) => {
                let stored = self.get_item(table, &case_pk(&case.id)).await?;
                Err(match stored {
                    None => PortError::NotFound(format!("case {}", case.id)),
                    Some(_) => PortError::Conflict(format!("case {} changed or moved meanwhile", case.id)),
                })
            }
            Err(TransactError::Cancelled(c)) if c.failed_condition(1) => Err(PortError::Conflict(format!(
                "customer {from} points at another active case"
            ))),
            Err(TransactError::Cancelled(c)) if c.failed_condition(2) => Err(PortError::Conflict(format!(
                "customer {} has another active case",
                case.customer_id
            ))),
            Err(TransactError::Cancelled(c)) => Err(c.into_port_error("CaseStore::move_case")),
            Err(TransactError::Other(e)) => Err(e),
        }
    }
}
