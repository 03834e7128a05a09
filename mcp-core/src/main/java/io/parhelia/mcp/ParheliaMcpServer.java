package io.parhelia.mcp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.modelcontextprotocol.util.DefaultMcpUriTemplateManager;
import io.parhelia.mcp.ToolCallObserver.ObservedCall;
import io.parhelia.mcp.ToolCallObserver.Outcome;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parhelia's MCP server, assembled once from tool specifications and bound to whichever transport
 * is given, so every transport and every embedding serves the same tools with the same rules:
 * arguments validated against the tool's schema with errors that name the field, the caller's
 * scope checked, domain failures and unexpected exceptions turned into {@code isError} results
 * (never a bare JSON-RPC -32603), results returned as {@code structuredContent} plus the same JSON
 * as text. A result is serialised once: the text is that JSON, and {@code structuredContent} writes
 * the same bytes again rather than converting the result a second time.
 */
public final class ParheliaMcpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ParheliaMcpServer.class);
    private static final Pattern ARGUMENT_AT_FAULT = Pattern.compile("^([a-z_]+)[/:]|property '([a-z_]+)'");

    private final String name;
    private final String version;
    private final String instructions;
    private final List<ToolSpec> tools;
    private final CallerResolver callers;
    private final List<ResourceSpec> resources;
    private final ResourceChanges resourceChanges;
    private final ToolCallObserver observer;
    private final boolean checkResults;
    private final List<AutoCloseable> feeds = new CopyOnWriteArrayList<>();
    private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();
    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private ParheliaMcpServer(Builder b) {
        this.name = b.name;
        this.version = b.version;
        this.instructions = b.instructions;
        this.tools = List.copyOf(b.tools);
        this.callers = b.callers;
        this.resources = List.copyOf(b.resources);
        this.resourceChanges = b.resourceChanges;
        this.observer = b.observer;
        this.checkResults = b.checkResults;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<ToolSpec> tools() {
        return tools;
    }

    /** Binds to a single-session transport such as stdio. */
    public McpSyncServer bind(McpServerTransportProvider transport) {
        return configure(McpServer.sync(transport));
    }

    /**
     * Binds to a Streamable HTTP transport that holds each request's thread until the reply is written, as the
     * SDK's servlet transport (and so {@code McpHttpServer}) does; not for a non-blocking one. A call runs on that
     * thread instead of being handed to Reactor's shared pool, which would cost a thread switch per call and let
     * only ten calls per core run at once, so that long waits would queue behind each other.
     */
    public McpSyncServer bind(McpStreamableServerTransportProvider transport) {
        return configure(McpServer.sync(transport).immediateExecution(true));
    }

    /** Stops the resource-change feeds started by {@link #bind}. */
    @Override
    public void close() {
        for (AutoCloseable feed : feeds) {
            try {
                feed.close();
            } catch (Exception e) {
                log.warn("stopping a resource change feed failed", e);
            }
        }
        feeds.clear();
    }

    private <S extends McpServer.SyncSpecification<S>> McpSyncServer configure(McpServer.SyncSpecification<S> spec) {
        McpSchema.ServerCapabilities.Builder capabilities = McpSchema.ServerCapabilities.builder().tools(false).logging();
        if (!resources.isEmpty()) {
            capabilities.resources(true, false);
        }
        McpSyncServer server = spec.serverInfo(name, version)
                .instructions(instructions)
                .capabilities(capabilities.build())
                // Arguments are validated here, by the tool wrapper, so the error can name the field and the next step.
                .validateToolInputs(false)
                // Results too: the SDK would convert each one to a tree again; answer() checks the bytes it sends, when asked to.
                .jsonSchemaValidator(schemasOnly())
                .tools(tools.stream().map(this::toSdk).toList())
                .resourceTemplates(resources.stream().map(this::toSdk).toList())
                .build();
        if (resourceChanges != null) {
            feeds.add(resourceChanges.start(uri -> server.notifyResourcesUpdated(new McpSchema.ResourcesUpdatedNotification(uri))));
        }
        return server;
    }

    /** Checks the tools' schemas at registration like the SDK's own validator, and accepts every result. */
    private JsonSchemaValidator schemasOnly() {
        return new JsonSchemaValidator() {
            @Override
            public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
                return ValidationResponse.asValid(null);
            }

            @Override
            public ValidationResponse validateSchema(Map<String, Object> schema) {
                return validator.validateSchema(schema);
            }
        };
    }

    private SyncResourceTemplateSpecification toSdk(ResourceSpec spec) {
        McpSchema.ResourceTemplate template = McpSchema.ResourceTemplate.builder()
                .uriTemplate(spec.uriTemplate()).name(spec.name()).title(spec.title())
                .description(spec.description() + " Requires scope " + spec.scope().value() + ".")
                .mimeType(spec.mimeType()).build();
        DefaultMcpUriTemplateManager variables = new DefaultMcpUriTemplateManager(spec.uriTemplate());
        return new SyncResourceTemplateSpecification(template, (exchange, request) -> {
            String uri = request.uri();
            Caller caller = callers.resolve(exchange.transportContext());
            if (caller == null || !caller.has(spec.scope())) {
                throw McpError.builder(McpSchema.ErrorCodes.INVALID_REQUEST)
                        .message("reading " + uri + " needs scope " + spec.scope().value()).build();
            }
            try {
                String text = spec.reader().read(caller, variables.extractVariableValues(uri));
                return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(uri, spec.mimeType(), text)));
            } catch (ToolError e) {
                if ("not_found".equals(e.code())) {
                    throw McpError.RESOURCE_NOT_FOUND.apply(uri);
                }
                throw McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS).message(e.getMessage()).build();
            } catch (Exception e) {
                String incident = UUID.randomUUID().toString().substring(0, 8);
                log.error("reading {} failed unexpectedly (incident {})", uri, incident, e);
                throw McpError.builder(McpSchema.ErrorCodes.INTERNAL_ERROR)
                        .message("reading " + uri + " failed unexpectedly (incident " + incident + ")").build();
            }
        });
    }

    private SyncToolSpecification toSdk(ToolSpec spec) {
        McpSchema.Tool tool = McpSchema.Tool.builder(spec.name(), spec.inputSchema())
                .title(spec.title())
                .description(spec.description() + " Requires scope " + spec.scope().value() + ".")
                .outputSchema(spec.outputSchema())
                .annotations(new McpSchema.ToolAnnotations(spec.title(), spec.hints().readOnly(),
                        spec.hints().destructive(), spec.hints().idempotent(), spec.hints().openWorld(), null))
                .build();
        return SyncToolSpecification.builder().tool(tool)
                .callHandler((exchange, request) -> call(spec, exchange, request))
                .build();
    }

    private CallToolResult call(ToolSpec spec, McpSyncServerExchange exchange, CallToolRequest request) {
        long started = System.nanoTime();
        Map<String, Object> arguments = request.arguments() == null ? Map.of() : request.arguments();
        Caller caller = null;
        Answer answer;
        try {
            caller = callers.resolve(exchange.transportContext());
            answer = answer(spec, exchange, request, caller, arguments);
        } catch (Exception e) {
            answer = unexpected(spec, e);
        }
        try {
            observer.observe(new ObservedCall(spec.name(), caller, arguments, answer.outcome(), answer.errorCode(),
                    answer.errorMessage(), Duration.ofNanos(System.nanoTime() - started), exchange.transportContext()));
        } catch (RuntimeException e) {
            log.warn("the tool call observer failed on a call of {}", spec.name(), e);
        }
        return answer.result();
    }

    private Answer answer(ToolSpec spec, McpSyncServerExchange exchange, CallToolRequest request, Caller caller,
                          Map<String, Object> arguments) {
        if (caller == null) {
            return Answer.error(Outcome.REFUSED, new ToolError("unauthenticated", null,
                    "this call carries no identity; connect with a valid token"));
        }
        if (!caller.has(spec.scope())) {
            return Answer.error(Outcome.REFUSED, new ToolError("insufficient_scope", null, spec.name() + " needs scope "
                    + spec.scope().value() + "; your token has " + caller.scopes().stream().map(Scope::value).toList()
                    + ". Ask an admin for a token with " + spec.scope().value()));
        }
        JsonSchemaValidator.ValidationResponse validation = validator.validate(spec.inputSchema(), arguments);
        if (!validation.valid()) {
            return Answer.error(Outcome.REFUSED, invalidArguments(spec.name(), validation.errorMessage()));
        }
        try {
            Object progressToken = request.meta() == null ? null : request.meta().get("progressToken");
            Object result = spec.handler().handle(new ToolCall(caller, arguments, exchange, progressToken));
            String text = json.writeValueAsString(result);
            if (checkResults && spec.outputSchema() != null) {
                JsonSchemaValidator.ValidationResponse check = validator.validate(spec.outputSchema(), text);
                if (!check.valid()) {
                    return unexpected(spec, new IllegalStateException("the result does not match the outputSchema: "
                            + check.errorMessage()));
                }
            }
            return new Answer(CallToolResult.builder()
                    .structuredContent(new RawJson(text))
                    .addTextContent(text)
                    .build(), Outcome.ALLOWED, null, null);
        } catch (ToolError e) {
            return Answer.error(Outcome.FAILED, e);
        } catch (Exception e) {
            return unexpected(spec, e);
        }
    }

    private static Answer unexpected(ToolSpec spec, Exception e) {
        String incident = UUID.randomUUID().toString().substring(0, 8);
        log.error("tool {} failed unexpectedly (incident {})", spec.name(), incident, e);
        return Answer.error(Outcome.ERROR, new ToolError("internal_error", null, spec.name() + " failed unexpectedly (incident "
                + incident + "); the server log has the details. Retry, and report the incident id if it persists"));
    }

    /** JSON already written, which any Jackson mapper writes out verbatim. */
    private record RawJson(String json) implements JsonSerializable {
        @Override
        public void serialize(JsonGenerator generator, SerializerProvider serializers) throws IOException {
            generator.writeRawValue(json);
        }

        @Override
        public void serializeWithType(JsonGenerator generator, SerializerProvider serializers, TypeSerializer types)
                throws IOException {
            serialize(generator, serializers);
        }

        @Override
        public String toString() {
            return json;
        }
    }

    /** A call's result together with what became of it, for the observer. */
    private record Answer(CallToolResult result, Outcome outcome, String errorCode, String errorMessage) {
        static Answer error(Outcome outcome, ToolError e) {
            return new Answer(ParheliaMcpServer.error(e.code(), e.field(), e.getMessage()), outcome, e.code(), e.getMessage());
        }
    }

    /**
     * Restates the validator's report ("Validation failed: JSON schema validation errors: [/limit: must
     * have a minimum value of 1, : required property 'prompt' not found]") as one sentence per problem,
     * naming the first argument at fault in the error's field.
     */
    static ToolError invalidArguments(String tool, String report) {
        String problems = report.replaceFirst("^Validation failed: JSON schema validation errors: \\[", "")
                .replaceFirst("]$", "")
                .replaceFirst("^: ", "")
                .replace(", : ", "; ")
                .replaceAll("(^|, )/", "$1");
        Matcher field = ARGUMENT_AT_FAULT.matcher(problems);
        return ToolError.invalid(field.find() ? (field.group(1) != null ? field.group(1) : field.group(2)) : null,
                "invalid arguments for " + tool + ": " + problems
                        + ". Fix the named argument; the tool's inputSchema in tools/list lists what it accepts");
    }

    private static CallToolResult error(String code, String field, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        if (field != null) {
            error.put("field", field);
        }
        error.put("message", message);
        return CallToolResult.builder()
                .isError(true)
                .addTextContent(message)
                .structuredContent(Map.of("error", error))
                .build();
    }

    public static final class Builder {
        private String name = "parhelia";
        private String version = "dev";
        private String instructions;
        private List<ToolSpec> tools = List.of();
        private CallerResolver callers = CallerResolver.fromContext();
        private List<ResourceSpec> resources = List.of();
        private ResourceChanges resourceChanges;
        private ToolCallObserver observer = ToolCallObserver.NONE;
        private boolean checkResults = true;

        public Builder serverInfo(String name, String version) {
            this.name = name;
            this.version = version;
            return this;
        }

        public Builder instructions(String instructions) {
            this.instructions = instructions;
            return this;
        }

        public Builder tools(List<ToolSpec> tools) {
            this.tools = tools;
            return this;
        }

        /** Resource templates, and what reports their changes to subscribers (or null for no notifications). */
        public Builder resources(List<ResourceSpec> resources, ResourceChanges changes) {
            this.resources = resources;
            this.resourceChanges = changes;
            return this;
        }

        public Builder callers(CallerResolver callers) {
            this.callers = callers;
            return this;
        }

        /** What sees every tool call with its outcome, e.g. the audit log. */
        public Builder observer(ToolCallObserver observer) {
            this.observer = observer;
            return this;
        }

        /**
         * Whether every successful result is validated against its tool's outputSchema before it is sent (the
         * default); one that does not match becomes an internal_error result. Parhelia's own server turns this off
         * unless configured, as its tests check its tools' results.
         */
        public Builder checkResults(boolean checkResults) {
            this.checkResults = checkResults;
            return this;
        }

        public ParheliaMcpServer build() {
            return new ParheliaMcpServer(this);
        }
    }
}
