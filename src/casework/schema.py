"""Every domain's tables in one `Base.metadata` (for Alembic and `migrate-data`).

It sits above the domains' models and imports nothing else, so the `db` package (migrations,
pgvector, the data transfer) needs no import of a domain: it reads the tables from here.
"""

from casework.accounts import models as accounts_models
from casework.apikeys import models as apikeys_models
from casework.ask import models as ask_models
from casework.audit import models as audit_models
from casework.batch_search import models as batch_search_models
from casework.collections import models as collections_models
from casework.core.database import Base
from casework.custody import models as custody_models
from casework.documents import models as documents_models
from casework.entities import models as entities_models
from casework.exports import models as exports_models
from casework.holds import models as holds_models
from casework.jobs import models as jobs_models
from casework.learning import models as learning_models
from casework.mail import models as mail_models
from casework.neardup import models as neardup_models
from casework.notes import models as notes_models
from casework.productions import models as productions_models
from casework.progress import models as progress_models
from casework.redaction import models as redaction_models
from casework.reports import models as reports_models
from casework.review import models as review_models
from casework.saved_searches import models as saved_searches_models
from casework.search import models as search_models
from casework.shares import models as shares_models
from casework.tags import models as tags_models
from casework.usage import models as usage_models
from casework.webhooks import models as webhooks_models
from casework.workspaces import models as workspaces_models

__all__ = [
    "Base",
    "accounts_models",
    "apikeys_models",
    "ask_models",
    "audit_models",
    "batch_search_models",
    "collections_models",
    "custody_models",
    "documents_models",
    "entities_models",
    "exports_models",
    "holds_models",
    "jobs_models",
    "learning_models",
    "mail_models",
    "neardup_models",
    "notes_models",
    "productions_models",
    "progress_models",
    "redaction_models",
    "reports_models",
    "review_models",
    "saved_searches_models",
    "search_models",
    "shares_models",
    "tags_models",
    "usage_models",
    "webhooks_models",
    "workspaces_models",
]
