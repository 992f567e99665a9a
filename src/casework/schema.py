"""Every domain's tables in one `Base.metadata` (for Alembic and `migrate-data`).

It sits above the domains' models and imports nothing else, so the `db` package (migrations,
pgvector, the data transfer) needs no import of a domain: it reads the tables from here.
"""

from casework.accounts import models as accounts_models
from casework.apikeys import models as apikeys_models
from casework.ask import models as ask_models
from casework.audit import models as audit_models
from casework.collections import models as collections_models
from casework.core.database import Base
from casework.documents import models as documents_models
from casework.entities import models as entities_models
from casework.jobs import models as jobs_models
from casework.notes import models as notes_models
from casework.search import models as search_models
from casework.tags import models as tags_models
from casework.usage import models as usage_models
from casework.workspaces import models as workspaces_models

__all__ = [
    "Base",
    "accounts_models",
    "apikeys_models",
    "ask_models",
    "audit_models",
    "collections_models",
    "documents_models",
    "entities_models",
    "jobs_models",
    "notes_models",
    "search_models",
    "tags_models",
    "usage_models",
    "workspaces_models",
]
