"""Every job kind and its handler, in one table."""

from casework.backup import tasks as backup_tasks
from casework.ingest import pipeline, rechunk
from casework.jobs import schedule
from casework.jobs.handlers import JobHandler

HANDLERS: dict[str, JobHandler] = {
    pipeline.PROCESS_DOCUMENT: JobHandler(pipeline.process_document, pipeline.document_failed),
    pipeline.EMBED_DOCUMENT: JobHandler(pipeline.embed_document, pipeline.embedding_failed),
    pipeline.EMBED_NOTE: JobHandler(pipeline.embed_note),
    rechunk.RECHUNK_DOCUMENT: JobHandler(rechunk.rechunk_document),
    rechunk.RECHUNK_NOTE: JobHandler(rechunk.rechunk_note),
    schedule.BACKUP: JobHandler(backup_tasks.run_scheduled_backup),
}
