package io.parhelia.http.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.AudioContent;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CompleteRequest.CompleteArgument;
import io.modelcontextprotocol.spec.McpSchema.CompleteRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.GetPromptRequest;
import io.modelcontextprotocol.spec.McpSchema.GetPromptResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.InitializeResult;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceRequest;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fixture's payloads, checked exactly: the conformance suite mostly checks shapes (a tool that
 * does not exist can pass some scenarios), so this drives the fixture through the SDK's Java client
 * over HTTP, and reads the raw event stream where the order of events on the wire is the point.
 */
class ConformanceFixtureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static McpHttpServer server;

    private final List<McpSyncClient> clients = new ArrayList<>();

    @BeforeAll
    static void startFixture() throws Exception {
        server = ConformanceFixture.start(HttpSettings.loopback());
    }

    @AfterAll
    static void stopFixture() throws Exception {
        server.stop();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(McpSyncClient::closeGracefully);
    }

    @Test
    void initializeDeclaresEveryCapabilityTheScenariosUse() {
        InitializeResult init = client(McpClient.SyncSpec::build).getCurrentInitializationResult();

        assertThat(init.serverInfo().name()).isEqualTo("parhelia-conformance-fixture");
        assertThat(init.protocolVersion()).isEqualTo("2025-11-25");
        assertThat(init.capabilities().tools()).isNotNull();
        assertThat(init.capabilities().prompts()).isNotNull();
        assertThat(init.capabilities().logging()).isNotNull();
        assertThat(init.capabilities().completions()).isNotNull();
        assertThat(init.capabilities().resources().subscribe()).isTrue();
    }

    @Test
    void listsExactlyTheTestToolsEachWithDescriptionAndObjectSchema() {
        List<Tool> tools = client(McpClient.SyncSpec::build).listTools().tools();

        assertThat(tools).extracting(Tool::name).containsExactlyInAnyOrder(
                "test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
                "test_multiple_content_types", "test_tool_with_logging", "test_error_handling", "test_tool_with_progress",
                "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums");
        assertThat(tools).allSatisfy(tool -> {
            assertThat(tool.description()).isNotBlank();
            assertThat(tool.inputSchema()).containsEntry("type", "object");
        });
        assertThat(tools).filteredOn(tool -> tool.name().equals("test_sampling")).singleElement()
                .satisfies(tool -> assertThat(tool.inputSchema()).containsEntry("required", List.of("prompt")));
    }

    @Test
    void simpleTextToolReturnsTheFixedSentence() {
        CallToolResult result = call(client(McpClient.SyncSpec::build), "test_simple_text");

        assertThat(result.isError()).isFalse();
        assertThat(result.content()).singleElement().isInstanceOfSatisfying(TextContent.class,
                text -> assertThat(text.text()).isEqualTo("This is a simple text response for testing."));
    }

    @Test
    void imageToolReturnsADecodablePng() throws IOException {
        CallToolResult result = call(client(McpClient.SyncSpec::build), "test_image_content");

        ImageContent image = (ImageContent) result.content().get(0);
        assertThat(image.mimeType()).isEqualTo("image/png");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(image.data())));
        assertThat(decoded.getWidth()).isEqualTo(1);
        assertThat(decoded.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFF0000);
    }

    @Test
    void audioToolReturnsAWaveFile() {
        CallToolResult result = call(client(McpClient.SyncSpec::build), "test_audio_content");

        AudioContent audio = (AudioContent) result.content().get(0);
        assertThat(audio.mimeType()).isEqualTo("audio/wav");
        byte[] wav = Base64.getDecoder().decode(audio.data());
        assertThat(new String(wav, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        assertThat(new String(wav, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("WAVE");
        assertThat(wav).hasSize(46);
    }

    @Test
    void embeddedResourceToolEmbedsTheTextResource() {
        CallToolResult result = call(client(McpClient.SyncSpec::build), "test_embedded_resource");

        TextResourceContents resource = embeddedText(result.content().get(0));
        assertThat(resource.uri()).isEqualTo("test://embedded-resource");
        assertThat(resource.mimeType()).isEqualTo("text/plain");
        assertThat(resource.text()).isEqualTo("This is an embedded resource content.");
    }

    @Test
    void mixedContentToolReturnsTextImageAndJsonResourceInOrder() {
        CallToolResult result = call(client(McpClient.SyncSpec::build), "test_multiple_content_types");

        assertThat(result.content()).hasSize(3);
        assertThat(((TextContent) result.content().get(0)).text()).isEqualTo("Multiple content types test:");
        assertThat(((ImageContent) result.content().get(1)).mimeType()).isEqualTo("image/png");
        TextResourceContents resource = embeddedText(result.content().get(2));
        assertThat(resource.uri()).isEqualTo("test://mixed-content-resource");
        assertThat(resource.mimeType()).isEqualTo("application/json");
        assertThat(resource.text()).isEqualTo("{\"test\":\"data\",\"value\":123}");
    }

    @Test
    void errorToolReturnsAToolErrorNotAProtocolError() {
        CallToolResult result = call(client(McpClient.SyncSpec::build), "test_error_handling");

        assertThat(result.isError()).isTrue();
        assertThat(((TextContent) result.content().get(0)).text()).isEqualTo("This tool intentionally returns an error for testing");
    }

    @Test
    void loggingToolSendsThreeInfoMessagesToTheClient() {
        List<LoggingMessageNotification> received = new CopyOnWriteArrayList<>();
        McpSyncClient client = client(spec -> spec.loggingConsumer(received::add).build());
        client.setLoggingLevel(LoggingLevel.DEBUG);

        CallToolResult result = call(client, "test_tool_with_logging");

        assertThat(result.isError()).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() >= 3);
        assertThat(received).extracting(LoggingMessageNotification::data)
                .containsExactly("Tool execution started", "Tool processing data", "Tool execution completed");
        assertThat(received).extracting(LoggingMessageNotification::level).containsOnly(LoggingLevel.INFO);
    }

    @Test
    void loggingNotificationsStreamOnTheCallsOwnResponseWhileTheToolRuns() throws Exception {
        List<TimedEvent> events = new RawSession().call(Map.of("name", "test_tool_with_logging", "arguments", Map.of()));

        assertThat(events).hasSize(4);
        assertThat(events.subList(0, 3)).extracting(e -> e.message().path("method").asText()).containsOnly("notifications/message");
        assertThat(events.subList(0, 3)).extracting(e -> e.message().path("params").path("data").asText())
                .containsExactly("Tool execution started", "Tool processing data", "Tool execution completed");
        assertThat(events.get(3).message().has("result")).isTrue();
        // The tool waits about 50 ms between messages: had the stream been held back until the result,
        // every event would arrive at once.
        assertThat(events.get(3).millisSince(events.get(0))).isGreaterThanOrEqualTo(50);
    }

    @Test
    void progressNotificationsCarryTheRequestsTokenAndArriveBeforeTheResult() throws Exception {
        List<TimedEvent> events = new RawSession().call(Map.of("name", "test_tool_with_progress", "arguments", Map.of(),
                "_meta", Map.of("progressToken", "progress-token-7")));

        assertThat(events).hasSize(4);
        assertThat(events.subList(0, 3)).allSatisfy(event -> {
            assertThat(event.message().path("method").asText()).isEqualTo("notifications/progress");
            assertThat(event.message().path("params").path("progressToken").asText()).isEqualTo("progress-token-7");
            assertThat(event.message().path("params").path("total").asDouble()).isEqualTo(100.0);
        });
        assertThat(events.subList(0, 3)).extracting(e -> e.message().path("params").path("progress").asDouble())
                .containsExactly(0.0, 50.0, 100.0);
        assertThat(events.get(3).message().path("result").path("content").get(0).path("text").asText())
                .isEqualTo("Tool execution completed with progress");
        assertThat(events.get(3).millisSince(events.get(0))).isGreaterThanOrEqualTo(50);
    }

    @Test
    void progressToolWithoutATokenSendsNoProgress() throws Exception {
        List<TimedEvent> events = new RawSession().call(Map.of("name", "test_tool_with_progress", "arguments", Map.of()));

        assertThat(events).singleElement().satisfies(event -> assertThat(
                event.message().path("result").path("content").get(0).path("text").asText())
                .isEqualTo("Tool execution completed without progress"));
    }

    @Test
    void samplingToolAsksTheClientsModelAndQuotesItsAnswer() {
        AtomicReference<CreateMessageRequest> asked = new AtomicReference<>();
        McpSyncClient client = client(spec -> spec.capabilities(ClientCapabilities.builder().sampling().build())
                .sampling(request -> {
                    asked.set(request);
                    return CreateMessageResult.builder(Role.ASSISTANT, "Paris.", "test-model").build();
                })
                .build());

        CallToolResult result = client.callTool(callRequest("test_sampling", Map.of("prompt", "Capital of France?")));

        assertThat(asked.get().maxTokens()).isEqualTo(100);
        assertThat(asked.get().messages()).singleElement().satisfies(message -> {
            assertThat(message.role()).isEqualTo(Role.USER);
            assertThat(((TextContent) message.content()).text()).isEqualTo("Capital of France?");
        });
        assertThat(result.isError()).isFalse();
        assertThat(((TextContent) result.content().get(0)).text()).isEqualTo("LLM response: Paris.");
    }

    @Test
    void samplingToolRefusesAClientWithoutTheSamplingCapability() {
        CallToolResult result = client(McpClient.SyncSpec::build)
                .callTool(callRequest("test_sampling", Map.of("prompt", "Capital of France?")));

        assertThat(result.isError()).isTrue();
        assertThat(((TextContent) result.content().get(0)).text()).contains("does not support sampling");
    }

    @Test
    void elicitationToolAsksForUsernameAndEmailAndReportsTheAnswer() {
        AtomicReference<ElicitFormRequest> asked = new AtomicReference<>();
        McpSyncClient client = elicitingClient(asked, new ElicitResult(ElicitResult.Action.ACCEPT,
                Map.of("username", "ada", "email", "ada@example.org")));

        CallToolResult result = client.callTool(callRequest("test_elicitation", Map.of("message", "Who are you?")));

        assertThat(asked.get().message()).isEqualTo("Who are you?");
        assertThat(asked.get().requestedSchema()).containsEntry("type", "object")
                .containsEntry("required", List.of("username", "email"));
        assertThat(asked.get().requestedSchema().get("properties")).isEqualTo(Map.of(
                "username", Map.of("type", "string", "description", "User's response"),
                "email", Map.of("type", "string", "description", "User's email address")));
        String text = ((TextContent) result.content().get(0)).text();
        assertThat(text).startsWith("User response: action=accept, content={")
                .contains("\"username\":\"ada\"").contains("\"email\":\"ada@example.org\"");
    }

    @Test
    void elicitationToolReportsADeclineWithoutContent() {
        McpSyncClient client = elicitingClient(new AtomicReference<>(), new ElicitResult(ElicitResult.Action.DECLINE, null));

        CallToolResult result = client.callTool(callRequest("test_elicitation", Map.of("message", "Who are you?")));

        assertThat(((TextContent) result.content().get(0)).text()).isEqualTo("User response: action=decline, content=null");
    }

    @Test
    void defaultsElicitationSendsADefaultForEveryPrimitiveType() {
        AtomicReference<ElicitFormRequest> asked = new AtomicReference<>();
        McpSyncClient client = elicitingClient(asked, new ElicitResult(ElicitResult.Action.ACCEPT, Map.of("name", "Jane")));

        CallToolResult result = call(client, "test_elicitation_sep1034_defaults");

        assertThat(asked.get().requestedSchema().get("properties")).isEqualTo(Map.of(
                "name", Map.of("type", "string", "default", "John Doe"),
                "age", Map.of("type", "integer", "default", 30),
                "score", Map.of("type", "number", "default", 95.5),
                "status", Map.of("type", "string", "enum", List.of("active", "inactive", "pending"), "default", "active"),
                "verified", Map.of("type", "boolean", "default", true)));
        assertThat(((TextContent) result.content().get(0)).text())
                .isEqualTo("Elicitation completed: action=accept, content={\"name\":\"Jane\"}");
    }

    @Test
    void enumsElicitationSendsAllFiveEnumForms() {
        AtomicReference<ElicitFormRequest> asked = new AtomicReference<>();
        McpSyncClient client = elicitingClient(asked, new ElicitResult(ElicitResult.Action.CANCEL, null));

        CallToolResult result = call(client, "test_elicitation_sep1330_enums");

        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> properties = (Map<String, Map<String, Object>>) asked.get().requestedSchema().get("properties");
        assertThat(properties.get("untitledSingle")).isEqualTo(Map.of("type", "string", "enum", List.of("option1", "option2", "option3")));
        assertThat(properties.get("titledSingle")).containsEntry("type", "string").doesNotContainKey("enum");
        assertThat(properties.get("titledSingle").get("oneOf")).isEqualTo(List.of(
                Map.of("const", "value1", "title", "First Option"),
                Map.of("const", "value2", "title", "Second Option"),
                Map.of("const", "value3", "title", "Third Option")));
        assertThat(properties.get("legacyEnum")).containsEntry("enum", List.of("opt1", "opt2", "opt3"))
                .containsEntry("enumNames", List.of("Option One", "Option Two", "Option Three"));
        assertThat(properties.get("untitledMulti")).isEqualTo(Map.of("type", "array",
                "items", Map.of("type", "string", "enum", List.of("option1", "option2", "option3"))));
        assertThat(properties.get("titledMulti")).containsEntry("type", "array");
        assertThat(properties.get("titledMulti").get("items")).isEqualTo(Map.of("anyOf", List.of(
                Map.of("const", "value1", "title", "First Choice"),
                Map.of("const", "value2", "title", "Second Choice"),
                Map.of("const", "value3", "title", "Third Choice"))));
        assertThat(((TextContent) result.content().get(0)).text()).isEqualTo("Elicitation completed: action=cancel, content=null");
    }

    @Test
    void elicitationToolsRefuseAClientWithoutTheElicitationCapability() {
        McpSyncClient client = client(McpClient.SyncSpec::build);

        assertThat(List.of(client.callTool(callRequest("test_elicitation", Map.of("message", "Who?"))),
                call(client, "test_elicitation_sep1034_defaults"), call(client, "test_elicitation_sep1330_enums")))
                .allSatisfy(result -> {
                    assertThat(result.isError()).isTrue();
                    assertThat(((TextContent) result.content().get(0)).text()).contains("does not support elicitation");
                });
    }

    @Test
    void listsTheStaticResourcesWithNamesAndDescriptions() {
        List<Resource> resources = client(McpClient.SyncSpec::build).listResources().resources();

        assertThat(resources).extracting(Resource::uri)
                .containsExactlyInAnyOrder("test://static-text", "test://static-binary", "test://watched-resource");
        assertThat(resources).allSatisfy(resource -> {
            assertThat(resource.name()).isNotBlank();
            assertThat(resource.description()).isNotBlank();
        });
    }

    @Test
    void readsTheStaticTextAndBinaryResources() throws IOException {
        McpSyncClient client = client(McpClient.SyncSpec::build);

        TextResourceContents text = (TextResourceContents) client.readResource(ReadResourceRequest.builder("test://static-text").build()).contents().get(0);
        BlobResourceContents blob = (BlobResourceContents) client.readResource(ReadResourceRequest.builder("test://static-binary").build()).contents().get(0);

        assertThat(text.uri()).isEqualTo("test://static-text");
        assertThat(text.mimeType()).isEqualTo("text/plain");
        assertThat(text.text()).isEqualTo("This is the content of the static text resource.");
        assertThat(blob.mimeType()).isEqualTo("image/png");
        assertThat(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(blob.blob())))).isNotNull();
    }

    @Test
    void templateResourceSubstitutesTheIdIntoItsJson() {
        McpSyncClient client = client(McpClient.SyncSpec::build);

        TextResourceContents data = (TextResourceContents) client.readResource(ReadResourceRequest.builder("test://template/123/data").build())
                .contents().get(0);

        assertThat(client.listResourceTemplates().resourceTemplates()).singleElement()
                .satisfies(template -> assertThat(template.uriTemplate()).isEqualTo("test://template/{id}/data"));
        assertThat(data.uri()).isEqualTo("test://template/123/data");
        assertThat(data.mimeType()).isEqualTo("application/json");
        assertThat(data.text()).isEqualTo("{\"id\":\"123\",\"templateTest\":true,\"data\":\"Data for ID: 123\"}");
    }

    @Test
    void promptsReturnTheirFixedAndSubstitutedMessages() {
        McpSyncClient client = client(McpClient.SyncSpec::build);

        assertThat(client.listPrompts().prompts()).allSatisfy(prompt -> assertThat(prompt.description()).isNotBlank())
                .extracting(p -> p.name()).containsExactlyInAnyOrder("test_simple_prompt", "test_prompt_with_arguments",
                        "test_prompt_with_embedded_resource", "test_prompt_with_image");
        assertThat(onlyText(client.getPrompt(promptRequest("test_simple_prompt", Map.of()))))
                .isEqualTo("This is a simple prompt for testing.");
        assertThat(onlyText(client.getPrompt(promptRequest("test_prompt_with_arguments", Map.of("arg1", "hello", "arg2", "world")))))
                .isEqualTo("Prompt with arguments: arg1='hello', arg2='world'");
    }

    @Test
    void embeddedResourcePromptEmbedsTheGivenUriThenAsksToProcessIt() {
        GetPromptResult prompt = client(McpClient.SyncSpec::build).getPrompt(
                promptRequest("test_prompt_with_embedded_resource", Map.of("resourceUri", "test://example-resource")));

        assertThat(prompt.messages()).hasSize(2).allSatisfy(message -> assertThat(message.role()).isEqualTo(Role.USER));
        TextResourceContents resource = embeddedText(prompt.messages().get(0).content());
        assertThat(resource.uri()).isEqualTo("test://example-resource");
        assertThat(resource.mimeType()).isEqualTo("text/plain");
        assertThat(resource.text()).isEqualTo("Embedded resource content for testing.");
        assertThat(((TextContent) prompt.messages().get(1).content()).text()).isEqualTo("Please process the embedded resource above.");
    }

    @Test
    void imagePromptSendsAnImageThenAsksToAnalyseIt() {
        GetPromptResult prompt = client(McpClient.SyncSpec::build).getPrompt(promptRequest("test_prompt_with_image", Map.of()));

        assertThat(prompt.messages()).hasSize(2);
        assertThat(((ImageContent) prompt.messages().get(0).content()).mimeType()).isEqualTo("image/png");
        assertThat(((TextContent) prompt.messages().get(1).content()).text()).isEqualTo("Please analyze the image above.");
    }

    @Test
    void completesThePromptArgumentByPrefix() {
        McpSyncClient client = client(McpClient.SyncSpec::build);
        PromptReference prompt = new PromptReference("test_prompt_with_arguments");

        assertThat(client.completeCompletion(CompleteRequest.builder(prompt, new CompleteArgument("arg1", "par")).build()).completion().values())
                .containsExactly("paris", "park", "party");
        assertThat(client.completeCompletion(CompleteRequest.builder(prompt, new CompleteArgument("arg1", "test")).build()).completion().values())
                .isEmpty();
    }

    private McpSyncClient client(Function<McpClient.SyncSpec, McpSyncClient> configure) {
        var transport = HttpClientStreamableHttpTransport.builder("http://localhost:" + server.port())
                .endpoint(McpHttpServer.MCP_PATH).build();
        McpSyncClient client = configure.apply(McpClient.sync(transport).requestTimeout(Duration.ofSeconds(10)));
        clients.add(client);
        client.initialize();
        return client;
    }

    private McpSyncClient elicitingClient(AtomicReference<ElicitFormRequest> asked, ElicitResult answer) {
        return client(spec -> spec.capabilities(ClientCapabilities.builder().elicitation().build())
                .elicitation(request -> {
                    asked.set(request);
                    return answer;
                })
                .build());
    }

    private static CallToolResult call(McpSyncClient client, String tool) {
        return client.callTool(callRequest(tool, Map.of()));
    }

    private static CallToolRequest callRequest(String tool, Map<String, Object> arguments) {
        return CallToolRequest.builder(tool).arguments(arguments).build();
    }

    private static GetPromptRequest promptRequest(String prompt, Map<String, Object> arguments) {
        return GetPromptRequest.builder(prompt).arguments(arguments).build();
    }

    private static TextResourceContents embeddedText(Object content) {
        assertThat(content).isInstanceOf(EmbeddedResource.class);
        return (TextResourceContents) ((EmbeddedResource) content).resource();
    }

    private static String onlyText(GetPromptResult prompt) {
        assertThat(prompt.messages()).singleElement().satisfies(message -> assertThat(message.role()).isEqualTo(Role.USER));
        return ((TextContent) prompt.messages().get(0).content()).text();
    }

    /** One JSON-RPC message from an event stream, with when it was read. */
    private record TimedEvent(JsonNode message, long receivedNanos) {
        long millisSince(TimedEvent earlier) {
            return Duration.ofNanos(receivedNanos - earlier.receivedNanos).toMillis();
        }
    }

    /** A session over plain HTTP, to see each event of a call's stream as it arrives. */
    private static final class RawSession {
        private final HttpClient http = HttpClient.newHttpClient();
        private final String sessionId;

        RawSession() throws Exception {
            HttpResponse<String> init = http.send(post(null, Map.of("jsonrpc", "2.0", "id", 1, "method", "initialize",
                    "params", Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(),
                            "clientInfo", Map.of("name", "raw", "version", "1")))), HttpResponse.BodyHandlers.ofString());
            assertThat(init.statusCode()).isEqualTo(200);
            sessionId = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
            HttpResponse<String> initialized = http.send(post(sessionId, Map.of("jsonrpc", "2.0", "method", "notifications/initialized")),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(initialized.statusCode()).isEqualTo(202);
        }

        /** Calls a tool and returns every message of the call's event stream, in the order read. */
        List<TimedEvent> call(Map<String, Object> params) throws Exception {
            HttpResponse<Stream<String>> response = http.send(
                    post(sessionId, Map.of("jsonrpc", "2.0", "id", 2, "method", "tools/call", "params", params)),
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            List<TimedEvent> events = new ArrayList<>();
            try (Stream<String> lines = response.body()) {
                var it = lines.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    if (line.startsWith("data:")) {
                        TimedEvent event = new TimedEvent(JSON.readTree(line.substring(5).trim()), System.nanoTime());
                        events.add(event);
                        if (event.message().has("id") && !event.message().has("method")) {
                            break;
                        }
                    }
                }
            }
            return events;
        }

        private HttpRequest post(String session, Map<String, Object> message) throws IOException {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + McpHttpServer.MCP_PATH))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(message)));
            if (session != null) {
                request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25");
            }
            return request.build();
        }
    }
}
