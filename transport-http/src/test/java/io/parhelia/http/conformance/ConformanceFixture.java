package io.parhelia.http.conformance;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncCompletionSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.AudioContent;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult.CompleteCompletion;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.GetPromptResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Prompt;
import io.modelcontextprotocol.spec.McpSchema.PromptArgument;
import io.modelcontextprotocol.spec.McpSchema.PromptMessage;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.ResourceContents;
import io.modelcontextprotocol.spec.McpSchema.ResourceTemplate;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.SamplingMessage;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * The MCP server that the official conformance suite ({@code @modelcontextprotocol/conformance},
 * {@code conformance server}) expects: its fixed {@code test_*} tools, {@code test://} resources and
 * {@code test_*} prompts, each returning what the scenario's "Server Implementation Requirements"
 * text asks for. It is served by {@link McpHttpServer}, the product's HTTP code path, so the suite
 * exercises our transport; it lives in test scope only and never reaches Parhelia's tool list.
 */
public final class ConformanceFixture {

    private static final String SIMPLE_TEXT = "This is a simple text response for testing.";
    private static final String ERROR_TEXT = "This tool intentionally returns an error for testing";
    private static final String EMBEDDED_RESOURCE_URI = "test://embedded-resource";
    private static final String EMBEDDED_RESOURCE_TEXT = "This is an embedded resource content.";
    private static final String MIXED_RESOURCE_URI = "test://mixed-content-resource";
    private static final String MIXED_RESOURCE_JSON = "{\"test\":\"data\",\"value\":123}";
    private static final String STATIC_TEXT_URI = "test://static-text";
    private static final String STATIC_TEXT = "This is the content of the static text resource.";
    private static final String STATIC_BINARY_URI = "test://static-binary";
    private static final String WATCHED_URI = "test://watched-resource";
    private static final String TEMPLATE = "test://template/{id}/data";
    private static final List<String> LOG_MESSAGES = List.of("Tool execution started", "Tool processing data", "Tool execution completed");
    private static final List<String> COMPLETION_CANDIDATES = List.of("paris", "park", "party");

    /** A 1x1 red PNG, encoded here rather than pasted as base64, so that it is plainly a valid image. */
    private static final byte[] PNG = png();
    /** A WAV file holding one silent 16-bit sample at 8 kHz. */
    private static final byte[] WAV = wav();

    /**
     * The logging and progress scenarios ask for about 50 ms between notifications, so that a client has to
     * take each one off the stream while the call is still running.
     */
    private static final long NOTIFICATION_GAP_MILLIS = 50;

    private static final Map<String, Object> NO_ARGUMENTS = Map.of("type", "object", "properties", Map.of());
    private static final Pattern TEMPLATE_URI = Pattern.compile("test://template/([^/]+)/data");

    private final McpJsonMapper json = McpJsonDefaults.getMapper();

    /** Starts the fixture on loopback; the settings' port 0 picks a free port, see {@link McpHttpServer#port()}. */
    public static McpHttpServer start(HttpSettings settings) throws Exception {
        ConformanceFixture fixture = new ConformanceFixture();
        return McpHttpServer.builder(settings).mcp(fixture::bind).build().start();
    }

    McpSyncServer bind(McpStreamableServerTransportProvider transport) {
        return McpServer.sync(transport)
                .jsonMapper(json)
                .serverInfo("parhelia-conformance-fixture", "1.0.0")
                .capabilities(ServerCapabilities.builder()
                        .tools(false)
                        .resources(true, false)
                        .prompts(false)
                        .logging()
                        .completions()
                        .build())
                .tools(tools())
                .resources(resources())
                .resourceTemplates(templates())
                .prompts(prompts())
                .completions(completions())
                .build();
    }

    private List<SyncToolSpecification> tools() {
        return List.of(
                tool("test_simple_text", "Returns a fixed text.", NO_ARGUMENTS,
                        (exchange, request) -> result(text(SIMPLE_TEXT))),
                tool("test_image_content", "Returns a PNG image.", NO_ARGUMENTS,
                        (exchange, request) -> result(image())),
                tool("test_audio_content", "Returns a WAV sound.", NO_ARGUMENTS,
                        (exchange, request) -> result(AudioContent.builder(base64(WAV), "audio/wav").build())),
                tool("test_embedded_resource", "Returns an embedded text resource.", NO_ARGUMENTS,
                        (exchange, request) -> result(embedded(EMBEDDED_RESOURCE_URI, "text/plain", EMBEDDED_RESOURCE_TEXT))),
                tool("test_multiple_content_types", "Returns text, an image and an embedded JSON resource.", NO_ARGUMENTS,
                        (exchange, request) -> result(text("Multiple content types test:"), image(),
                                embedded(MIXED_RESOURCE_URI, "application/json", MIXED_RESOURCE_JSON))),
                tool("test_tool_with_logging", "Sends three info log messages while it runs.", NO_ARGUMENTS,
                        this::logWhileRunning),
                tool("test_error_handling", "Always fails, as a tool error.", NO_ARGUMENTS,
                        (exchange, request) -> CallToolResult.builder().addContent(text(ERROR_TEXT)).isError(true).build()),
                tool("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100 while it runs.", NO_ARGUMENTS,
                        this::reportProgress),
                tool("test_sampling", "Asks the client's LLM to answer a prompt.",
                        objectSchema(Map.of("prompt", stringProperty("The prompt to send to the LLM")), "prompt"),
                        this::sample),
                tool("test_elicitation", "Asks the user for a username and an email address.",
                        objectSchema(Map.of("message", stringProperty("The message to show the user")), "message"),
                        this::elicitUser),
                tool("test_elicitation_sep1034_defaults", "Asks the user for values that all have defaults (SEP-1034).",
                        NO_ARGUMENTS, (exchange, request) -> elicit(exchange, "Please review your information", defaultsSchema(),
                                "Elicitation completed")),
                tool("test_elicitation_sep1330_enums", "Asks the user to choose, in each enum form (SEP-1330).",
                        NO_ARGUMENTS, (exchange, request) -> elicit(exchange, "Please choose your options", enumsSchema(),
                                "Elicitation completed")));
    }

    private CallToolResult logWhileRunning(McpSyncServerExchange exchange, CallToolRequest request) {
        for (int i = 0; i < LOG_MESSAGES.size(); i++) {
            if (i > 0) {
                pause();
            }
            exchange.loggingNotification(LoggingMessageNotification.builder(LoggingLevel.INFO, LOG_MESSAGES.get(i))
                    .logger("test_tool_with_logging").build());
        }
        return result(text("Tool execution completed with " + LOG_MESSAGES.size() + " log messages"));
    }

    private CallToolResult reportProgress(McpSyncServerExchange exchange, CallToolRequest request) {
        Object token = request.progressToken();
        for (double progress : new double[] {0, 50, 100}) {
            if (progress > 0) {
                pause();
            }
            if (token != null) {
                exchange.progressNotification(ProgressNotification.builder(token, progress).total(100.0).build());
            }
        }
        return result(text(token != null ? "Tool execution completed with progress" : "Tool execution completed without progress"));
    }

    private CallToolResult sample(McpSyncServerExchange exchange, CallToolRequest request) {
        if (exchange.getClientCapabilities() == null || exchange.getClientCapabilities().sampling() == null) {
            return error("The client does not support sampling (no sampling capability)");
        }
        String prompt = String.valueOf(request.arguments().get("prompt"));
        CreateMessageResult answer = exchange.createMessage(CreateMessageRequest.builder(
                List.of(SamplingMessage.builder(Role.USER, text(prompt)).build()), 100).build());
        return result(text("LLM response: " + describe(answer.content())));
    }

    private CallToolResult elicitUser(McpSyncServerExchange exchange, CallToolRequest request) {
        Map<String, Object> schema = objectSchema(Map.of(
                "username", stringProperty("User's response"),
                "email", stringProperty("User's email address")), "username", "email");
        return elicit(exchange, String.valueOf(request.arguments().get("message")), schema, "User response");
    }

    /** Asks the client to elicit a form, and reports the answer under the heading each scenario expects. */
    private CallToolResult elicit(McpSyncServerExchange exchange, String message, Map<String, Object> schema, String heading) {
        if (!canElicit(exchange)) {
            return error("The client does not support elicitation (no elicitation capability)");
        }
        ElicitResult answer = exchange.createElicitation(ElicitFormRequest.builder(message, schema).build());
        return result(text(heading + ": action=" + answer.action().name().toLowerCase(Locale.ROOT)
                + ", content=" + toJson(answer.content())));
    }

    private static boolean canElicit(McpSyncServerExchange exchange) {
        return exchange.getClientCapabilities() != null && exchange.getClientCapabilities().elicitation() != null;
    }

    /** SEP-1034: a default for each primitive type an elicitation form may ask for. */
    private static Map<String, Object> defaultsSchema() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("name", Map.of("type", "string", "default", "John Doe"));
        properties.put("age", Map.of("type", "integer", "default", 30));
        properties.put("score", Map.of("type", "number", "default", 95.5));
        properties.put("status", Map.of("type", "string", "enum", List.of("active", "inactive", "pending"), "default", "active"));
        properties.put("verified", Map.of("type", "boolean", "default", true));
        return objectSchema(properties);
    }

    /** SEP-1330: the five ways an elicitation form may offer a choice. */
    private static Map<String, Object> enumsSchema() {
        List<String> options = List.of("option1", "option2", "option3");
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("untitledSingle", Map.of("type", "string", "enum", options));
        properties.put("titledSingle", Map.of("type", "string", "oneOf", List.of(
                Map.of("const", "value1", "title", "First Option"),
                Map.of("const", "value2", "title", "Second Option"),
                Map.of("const", "value3", "title", "Third Option"))));
        properties.put("legacyEnum", Map.of("type", "string", "enum", List.of("opt1", "opt2", "opt3"),
                "enumNames", List.of("Option One", "Option Two", "Option Three")));
        properties.put("untitledMulti", Map.of("type", "array", "items", Map.of("type", "string", "enum", options)));
        properties.put("titledMulti", Map.of("type", "array", "items", Map.of("anyOf", List.of(
                Map.of("const", "value1", "title", "First Choice"),
                Map.of("const", "value2", "title", "Second Choice"),
                Map.of("const", "value3", "title", "Third Choice")))));
        return objectSchema(properties);
    }

    private List<SyncResourceSpecification> resources() {
        return List.of(
                resource(STATIC_TEXT_URI, "static-text", "A fixed text resource.", "text/plain",
                        textContents(STATIC_TEXT_URI, "text/plain", STATIC_TEXT)),
                resource(STATIC_BINARY_URI, "static-binary", "A fixed PNG image.", "image/png",
                        BlobResourceContents.builder(STATIC_BINARY_URI, base64(PNG)).mimeType("image/png").build()),
                resource(WATCHED_URI, "watched-resource", "A resource clients may subscribe to.", "text/plain",
                        textContents(WATCHED_URI, "text/plain", "Watched resource content.")));
    }

    private static SyncResourceSpecification resource(String uri, String name, String description, String mimeType,
                                                      ResourceContents contents) {
        Resource resource = Resource.builder(uri, name).description(description).mimeType(mimeType).build();
        return new SyncResourceSpecification(resource, (exchange, request) -> ReadResourceResult.builder(List.of(contents)).build());
    }

    private List<SyncResourceTemplateSpecification> templates() {
        ResourceTemplate template = ResourceTemplate.builder(TEMPLATE, "template-data")
                .description("JSON data for any id.").mimeType("application/json").build();
        return List.of(new SyncResourceTemplateSpecification(template, (exchange, request) -> {
            Matcher matcher = TEMPLATE_URI.matcher(request.uri());
            if (!matcher.matches()) {
                throw new IllegalArgumentException("not a URI of template " + TEMPLATE + ": " + request.uri());
            }
            String id = matcher.group(1);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("id", id);
            data.put("templateTest", true);
            data.put("data", "Data for ID: " + id);
            return ReadResourceResult.builder(List.of(textContents(request.uri(), "application/json", toJson(data)))).build();
        }));
    }

    private List<SyncPromptSpecification> prompts() {
        return List.of(
                prompt("test_simple_prompt", "A prompt without arguments.", List.of(),
                        arguments -> List.of(userSays(text("This is a simple prompt for testing.")))),
                prompt("test_prompt_with_arguments", "A prompt that repeats its two arguments.",
                        List.of(argument("arg1", "First test argument"), argument("arg2", "Second test argument")),
                        arguments -> List.of(userSays(text("Prompt with arguments: arg1='" + arguments.get("arg1")
                                + "', arg2='" + arguments.get("arg2") + "'")))),
                prompt("test_prompt_with_embedded_resource", "A prompt that embeds the resource it is given.",
                        List.of(argument("resourceUri", "URI of the resource to embed")),
                        arguments -> List.of(
                                userSays(embedded(String.valueOf(arguments.get("resourceUri")), "text/plain",
                                        "Embedded resource content for testing.")),
                                userSays(text("Please process the embedded resource above.")))),
                prompt("test_prompt_with_image", "A prompt with an image.", List.of(),
                        arguments -> List.of(userSays(image()), userSays(text("Please analyze the image above.")))));
    }

    private static SyncPromptSpecification prompt(String name, String description, List<PromptArgument> arguments,
                                                  Function<Map<String, Object>, List<PromptMessage>> messages) {
        Prompt prompt = Prompt.builder(name).description(description).arguments(arguments).build();
        return new SyncPromptSpecification(prompt, (exchange, request) -> GetPromptResult.builder(
                messages.apply(request.arguments() == null ? Map.of() : request.arguments())).description(description).build());
    }

    private static PromptArgument argument(String name, String description) {
        return PromptArgument.builder(name).description(description).required(true).build();
    }

    private static PromptMessage userSays(Content content) {
        return new PromptMessage(Role.USER, content);
    }

    private List<SyncCompletionSpecification> completions() {
        return List.of(new SyncCompletionSpecification(new PromptReference("test_prompt_with_arguments"), (exchange, request) -> {
            String prefix = request.argument().value() == null ? "" : request.argument().value();
            List<String> values = COMPLETION_CANDIDATES.stream().filter(candidate -> candidate.startsWith(prefix)).toList();
            return new CompleteResult(new CompleteCompletion(values, values.size(), false));
        }));
    }

    private static SyncToolSpecification tool(String name, String description, Map<String, Object> inputSchema,
                                              BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
        return SyncToolSpecification.builder()
                .tool(Tool.builder(name, inputSchema).description(description).build())
                .callHandler(handler)
                .build();
    }

    private static Map<String, Object> objectSchema(Map<String, Object> properties, String... required) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (required.length > 0) {
            schema.put("required", List.of(required));
        }
        return schema;
    }

    private static Map<String, Object> stringProperty(String description) {
        return Map.of("type", "string", "description", description);
    }

    private static CallToolResult result(Content... content) {
        return CallToolResult.builder().content(List.of(content)).isError(false).build();
    }

    private static CallToolResult error(String message) {
        return CallToolResult.builder().addContent(text(message)).isError(true).build();
    }

    private static TextContent text(String text) {
        return TextContent.builder(text).build();
    }

    private static TextResourceContents textContents(String uri, String mimeType, String text) {
        return TextResourceContents.builder(uri, text).mimeType(mimeType).build();
    }

    private static ImageContent image() {
        return ImageContent.builder(base64(PNG), "image/png").build();
    }

    private static EmbeddedResource embedded(String uri, String mimeType, String text) {
        return EmbeddedResource.builder(textContents(uri, mimeType, text)).build();
    }

    private static String describe(Content content) {
        return content instanceof TextContent text ? text.text() : "[" + content.type() + " content]";
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static void pause() {
        try {
            Thread.sleep(NOTIFICATION_GAP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted between notifications", e);
        }
    }

    private static byte[] png() {
        BufferedImage pixel = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        pixel.setRGB(0, 0, 0xFF0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(pixel, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** RIFF/WAVE, PCM, mono, 8000 Hz, 16 bits, one zero sample. */
    private static byte[] wav() {
        ByteBuffer wav = ByteBuffer.allocate(46).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(38).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        wav.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(8000).putInt(8000 * 2).putShort((short) 2).putShort((short) 16);
        wav.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2).putShort((short) 0);
        return wav.array();
    }
}
