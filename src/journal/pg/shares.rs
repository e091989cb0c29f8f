//! Share records in the shared database (`warroom_shares`, one row per shared incident), so
//! every share server on the store honours a token whichever machine issued it.

use super::PgStore;
use crate::journal::shares::{ShareRecord, Shares};
use crate::journal::{JournalError, normalize_id};

fn id_of(id: &str) -> Result<String, JournalError> {
    normalize_id(id).ok_or_else(|| JournalError::NotFound(id.to_string()))
}

impl Shares for PgStore {
    fn load(&self, id: &str) -> Result<Option<ShareRecord>, JournalError> {
        let id = id_of(id)?;
        let row = self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.query_opt(
                "SELECT token_sha256, created_at, created_by FROM warroom_shares \
                 WHERE incident = $1",
                &[&id],
            ))?
            .map_err(|e| s.fail(&e))
        })?;
        let Some(row) = row else { return Ok(None) };
        let created_at: String = row.get(1);
        let created_at = chrono::DateTime::parse_from_rfc3339(&created_at)
            .map_err(|e| {
                JournalError::Store(format!(
                    "{}: the share record of {id} has a bad time: {e}",
                    self.shown()
                ))
            })?
            .with_timezone(&chrono::Utc);
        Ok(Some(ShareRecord {
            token_sha256: row.get(0),
            created_at,
            created_by: row.get(2),
        }))
    }

    fn save(&self, id: &str, record: &ShareRecord) -> Result<(), JournalError> {
        let id = id_of(id)?;
        let at = record.created_at.to_rfc3339();
        let saved = self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.execute(
                "INSERT INTO warroom_shares (incident, token_sha256, created_at, created_by) \
                 SELECT id, $2, $3, $4 FROM warroom_incidents WHERE id = $1 \
                 ON CONFLICT (incident) DO UPDATE SET token_sha256 = $2, created_at = $3, \
                 created_by = $4",
                &[&id, &record.token_sha256, &at, &record.created_by],
            ))?
            .map_err(|e| s.fail(&e))
        })?;
        if saved == 0 {
            return Err(JournalError::NotFound(id));
        }
        Ok(())
    }

    fn remove(&self, id: &str) -> Result<bool, JournalError> {
        let id = id_of(id)?;
        let removed = self.retry(|s, slot| {
            let client = s.client(slot)?;
            s.block(client.execute("DELETE FROM warroom_shares WHERE incident = $1", &[&id]))?
                .map_err(|e| s.fail(&e))
        })?;
        Ok(removed > 0)
    }
}
