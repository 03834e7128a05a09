package io.parhelia.tools;

import static io.parhelia.tools.EngineCalls.engine;
import static io.parhelia.tools.Schema.input;
import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.oneOf;
import static io.parhelia.tools.Schema.output;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.string;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.audit.AuditEntry;
import io.parhelia.engine.audit.AuditQuery;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tool 30: the audit log, searched by an operator. */
final class AuditTools {

    static final int MAX_PAGE = 200;
    /** Lines one page may read, so a search for something rare in a large log answers in bounded time. */
    static final long MAX_SCANNED = 100_000;

    private static final Map<String, Object> OBJECT_OR_NULL = nullable("object");
    private static final Map<String, Object> ENTRY_SCHEMA = output(props(
            "time", type("string"),
            "kind", Map.of("type", "string", "enum", List.of(AuditEntry.TOOL_CALL, AuditEntry.HTTP_REQUEST)),
            "request_id", nullable("string"),
            "transport", type("string"),
            "remote_address", nullable("string"),
            "caller", OBJECT_OR_NULL,
            "tool", nullable("string"),
            "arguments", OBJECT_OR_NULL,
            "outcome", type("string"),
            "error", OBJECT_OR_NULL,
            "duration_ms", type("number"),
            "http", OBJECT_OR_NULL,
            "prev", type("string")), "time", "kind", "transport", "outcome", "prev");

    private final AuditQuery query;

    AuditTools(Path auditDir) {
        this.query = new AuditQuery(auditDir);
    }

    List<ToolSpec> specs() {
        return List.of(auditQuery());
    }

    private ToolSpec auditQuery() {
        Map<String, Object> in = input(props(
                "since", string("Only entries at or after this instant (ISO-8601, e.g. 2026-11-03T10:15:30Z).", 1, 64),
                "until", string("Only entries before this instant (ISO-8601).", 1, 64),
                "kind", oneOf("tool_call for tool calls, http_request for refused HTTP requests.",
                        List.of(AuditEntry.TOOL_CALL, AuditEntry.HTTP_REQUEST)),
                "tool", string("Only calls of this tool, e.g. parhelia_task_create.", 1, 128),
                "subject", string("Only entries of this caller (its principal).", 1, 256),
                "outcome", oneOf("allowed, refused (no identity, scope, bad arguments, or an HTTP refusal), failed (the tool "
                        + "reported an error) or error (an unexpected failure).", List.of("allowed", "refused", "failed", "error")),
                "transport", oneOf("Only entries that came over this transport.", List.of("stdio", "http")),
                "limit", Pages.limit("Entries", MAX_PAGE),
                "cursor", Pages.cursor()));
        Map<String, Object> out = Pages.schema("entries", ENTRY_SCHEMA, "scanned",
                Map.of("type", "integer", "description", "lines read for this page; at most " + MAX_SCANNED
                        + ", after which the page ends early and next_cursor resumes the search"));
        return new ToolSpec("parhelia_audit_query", "Search the audit log",
                "Searches the audit log: every tool call (with its caller, arguments with secrets redacted, outcome, error "
                        + "and duration) and every refused HTTP request, newest first. Filters combine. A page ends after "
                        + "limit entries or " + MAX_SCANNED + " lines read, whichever comes first; follow next_cursor for "
                        + "more. `parhelia audit verify` checks that no line was changed or removed.",
                in, out, Hints.READ_ONLY, Scope.ADMIN, engine(call -> {
                    Instant since = EventTools.instant("since", call.string("since"));
                    Instant until = EventTools.instant("until", call.string("until"));
                    if (since != null && until != null && !since.isBefore(until)) {
                        throw ToolError.invalid("until", "until must be after since");
                    }
                    AuditQuery.Result found = query.find(new AuditQuery.Filter(since, until, call.string("kind"),
                                    call.string("tool"), call.string("subject"), call.string("outcome"), call.string("transport")),
                            Pages.limit(call.integer("limit")), call.string("cursor"), MAX_SCANNED);
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("entries", found.entries());
                    result.put("count", found.entries().size());
                    result.put("next_cursor", found.nextCursor());
                    result.put("scanned", found.scanned());
                    return result;
                }));
    }
}
