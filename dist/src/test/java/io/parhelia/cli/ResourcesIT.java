package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tasks as MCP resources: read them, and subscribe to hear when they change. */
class ResourcesIT {

    private static final ObjectMapper json = new ObjectMapper();

    static final List<McpSchema.ResourceContents> updates = new CopyOnWriteArrayList<>();
    @RegisterExtension
    static final SharedServer server = new SharedServer(spec -> spec.resourcesUpdateConsumer(updates::addAll));

    private static String text(McpSchema.ReadResourceResult result) {
        return ((McpSchema.TextResourceContents) result.contents().get(0)).text();
    }

    @Test
    void theTaskTemplatesAreListedAndReadable() throws Exception {
        assertThat(server.client().listResourceTemplates().resourceTemplates()).extracting(McpSchema.ResourceTemplate::uriTemplate)
                .containsExactlyInAnyOrder("parhelia://tasks/{task_id}", "parhelia://tasks/{task_id}/log");
        String id = (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", "read me", "wait_seconds", 30))).get("id");

        JsonNode taskJson = json.readTree(text(server.client().readResource(new McpSchema.ReadResourceRequest("parhelia://tasks/" + id))));
        assertThat(taskJson.get("id").asText()).isEqualTo(id);
        assertThat(taskJson.get("status").asText()).isEqualTo("completed");
        assertThat(text(server.client().readResource(new McpSchema.ReadResourceRequest("parhelia://tasks/" + id + "/log"))))
                .contains("[result success");

        assertThatThrownBy(() -> server.client().readResource(new McpSchema.ReadResourceRequest("parhelia://tasks/task-000000000000")))
                .isInstanceOfSatisfying(McpError.class, e -> assertThat(e.getJsonRpcError().code())
                        .isEqualTo(McpSchema.ErrorCodes.RESOURCE_NOT_FOUND));
    }

    @Test
    void aSubscriberHearsWhenTheTaskChangesAndItsLogGrows() throws Exception {
        String id = (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", "sleep=2 subscribe to me"))).get("id");
        String taskUri = "parhelia://tasks/" + id;
        String logUri = taskUri + "/log";
        server.client().subscribeResource(new McpSchema.SubscribeRequest(taskUri));
        server.client().subscribeResource(new McpSchema.SubscribeRequest(logUri));

        await().atMost(Duration.ofSeconds(30)).until(() -> updates.stream()
                .filter(c -> c.uri().equals(taskUri))
                .map(c -> ((McpSchema.TextResourceContents) c).text())
                .anyMatch(text -> text.contains("\"status\":\"completed\"")));
        assertThat(updates).anyMatch(c -> c.uri().equals(logUri)
                && ((McpSchema.TextResourceContents) c).text().contains("[result success"));

        String other = (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", "not subscribed", "wait_seconds", 30))).get("id");
        assertThat(updates).noneMatch(c -> c.uri().contains(other));
    }
}
