//! Contacts, agents and groups.

use super::budget::Lane;
use super::client::{Call, Client};
use super::error::Error;
use super::retry::Policy;
use super::types::{Agent, Contact, ContactUpdate, CreatedContact, FieldError, Group, NewContact};

/// `state=` of the contact list. Without it, deleted and blocked contacts are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactState {
    Verified,
    Unverified,
    Deleted,
    Blocked,
}

/// The filters of `GET /contacts`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactQuery {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub company_id: Option<i64>,
    pub state: Option<ContactState>,
    /// ISO 8601, `updated_at >=`.
    pub updated_since: Option<String>,
    pub tag: Option<String>,
}

impl ContactQuery {
    fn call(&self) -> Call {
        let state = self.state.map(|s| match s {
            ContactState::Verified => "verified",
            ContactState::Unverified => "unverified",
            ContactState::Deleted => "deleted",
            ContactState::Blocked => "blocked",
        });
        let pairs: [(&'static str, Option<String>); 7] = [
            ("email", self.email.clone()),
            ("phone", self.phone.clone()),
            ("mobile", self.mobile.clone()),
            ("company_id", self.company_id.map(|v| v.to_string())),
            ("state", state.map(String::from)),
            ("_updated_since", self.updated_since.clone()),
            ("tag", self.tag.clone()),
        ];
        let mut call = Call::get("contacts", Lane::New);
        for (key, value) in pairs {
            if let Some(value) = value {
                call = call.query(key, value);
            }
        }
        call
    }
}

impl Client {
    /// Every contact (deleted and blocked ones are left out by Freshdesk), by name.
    #[tracing::instrument(skip(self))]
    pub async fn list_contacts(&self) -> Result<Vec<Contact>, Error> {
        self.fetch_all(Call::get("contacts", Lane::New)).await
    }

    /// Every contact matching `query`, all pages.
    #[tracing::instrument(skip(self))]
    pub async fn list_contacts_where(&self, query: &ContactQuery) -> Result<Vec<Contact>, Error> {
        self.fetch_all(query.call()).await
    }

    /// `GET /contacts/{id}`; a deleted contact comes back with `deleted: true`.
    #[tracing::instrument(skip(self))]
    pub async fn get_contact(&self, id: i64) -> Result<Contact, Error> {
        let call = Call::get(format!("contacts/{id}"), Lane::InFlight);
        self.fetch(call.what(format!("Contact {id}"))).await
    }

    /// `POST /contacts`. A duplicate email, twitter_id or unique_external_id is
    /// not an error: Freshdesk's 409 names the existing contact, returned as
    /// [`CreatedContact::Existing`]. That same 409 makes a create with one of those
    /// keys safe to repeat, so it is retried like a GET; one without them (phone
    /// only) is sent once.
    #[tracing::instrument(skip(self, body))]
    pub async fn create_contact(&self, body: &NewContact) -> Result<CreatedContact, Error> {
        let mut call = Call::post("contacts", body, Lane::New)?;
        if body.has_unique_key() {
            call = call.policy(Policy::Idempotent);
        }
        match self.fetch::<Contact>(call).await {
            Ok(contact) => Ok(CreatedContact::Created(Box::new(contact))),
            Err(Error::Validation {
                status: 409,
                errors,
            }) => match existing_id(&errors) {
                Some(id) => Ok(CreatedContact::Existing { id }),
                None => Err(Error::Validation {
                    status: 409,
                    errors,
                }),
            },
            Err(e) => Err(e),
        }
    }

    /// `PUT /contacts/{id}` with only the fields that are set. A deleted or
    /// blocked contact gives 405.
    #[tracing::instrument(skip(self, body))]
    pub async fn update_contact(&self, id: i64, body: &ContactUpdate) -> Result<Contact, Error> {
        let call = Call::put(format!("contacts/{id}"), body, Lane::New)?;
        self.fetch(call.what(format!("Contact {id}"))).await
    }

    /// `DELETE /contacts/{id}`: a soft delete (204). A repeat answered 405
    /// ("already deleted") means the first attempt did it.
    #[tracing::instrument(skip(self))]
    pub async fn delete_contact(&self, id: i64) -> Result<(), Error> {
        let call = Call::delete(format!("contacts/{id}"), Lane::New)
            .what(format!("Contact {id}"))
            .ok_on_repeat(405);
        self.fetch(call).await
    }

    /// `DELETE /contacts/{id}/hard_delete?force=true`: gone for good (204). A
    /// repeat answered 404 means the first attempt did it.
    #[tracing::instrument(skip(self))]
    pub async fn hard_delete_contact(&self, id: i64) -> Result<(), Error> {
        let call = Call::delete(format!("contacts/{id}/hard_delete"), Lane::New)
            .query("force", "true")
            .what(format!("Contact {id}"))
            .ok_on_repeat(404);
        self.fetch(call).await
    }

    /// Every agent.
    #[tracing::instrument(skip(self))]
    pub async fn list_agents(&self) -> Result<Vec<Agent>, Error> {
        self.fetch_all(Call::get("agents", Lane::New)).await
    }

    /// The agent the API key belongs to (the cheapest way to test a key).
    #[tracing::instrument(skip(self))]
    pub async fn me(&self) -> Result<Agent, Error> {
        self.fetch(Call::get("agents/me", Lane::New)).await
    }

    /// Every group.
    #[tracing::instrument(skip(self))]
    pub async fn list_groups(&self) -> Result<Vec<Group>, Error> {
        self.fetch_all(Call::get("groups", Lane::New)).await
    }
}

/// `additional_info.user_id` of the `duplicate_value` error of a 409.
fn existing_id(errors: &[FieldError]) -> Option<i64> {
    errors
        .iter()
        .filter(|e| e.code == "duplicate_value")
        .find_map(|e| e.additional_info.as_ref()?.get("user_id")?.as_i64())
}
