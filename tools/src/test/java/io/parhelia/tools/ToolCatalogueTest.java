package io.parhelia.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.parhelia.engine.Engine;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.task.Container;
import io.parhelia.engine.task.ContainerService;
import io.parhelia.engine.task.Session;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskResult;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToolCatalogueTest {

    @TempDir
    static Path home;
    static Engine engine;
    static List<ToolSpec> tools;
    private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();

    @BeforeAll
    static void open() {
        engine = Engine.open(new ConfigLoader().load(home, Map.of(), Map.of("runtime.local.mode", "setsid")));
        tools = ParheliaTools.all(engine);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void everyToolHasAUniqueNameAStrictInputSchemaAndAValidOutputSchema() {
        assertThat(tools).extracting(ToolSpec::name).doesNotHaveDuplicates()
                .allMatch(name -> name.matches("parhelia_[a-z_]+"));
        for (ToolSpec tool : tools) {
            assertThat(tool.inputSchema()).as(tool.name()).containsEntry("additionalProperties", false);
            assertThat(validator.validateSchema(tool.inputSchema()).valid()).as(tool.name() + " input").isTrue();
            assertThat(validator.validateSchema(tool.outputSchema()).valid()).as(tool.name() + " output").isTrue();
            assertThat(tool.description()).as(tool.name()).isNotBlank();
        }
    }

    @Test
    void aTaskViewHasExactlyTheFieldsItsSchemaDeclaresAndConformsToIt() {
        Task task = new Task("task-1", "alice", "do it\nnow", null, null, null, "/w", "local", new Resources(1, 4, null),
                30, 60, 1, null, "task-1", null, false, false, TaskStatus.FAILED, "the agent exited with code 3",
                Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:01Z"),
                Instant.parse("2026-01-01T00:00:03Z"), Instant.parse("2026-01-01T00:00:03Z"), 3,
                new TaskResult("s-1", "boom", "error_during_execution", true, 0.5, 10L, 20L, 2, 1500L));
        Map<String, Object> view = TaskViews.view(task, null);
        assertThat(view.keySet()).containsExactlyElementsOf(TaskViews.FIELDS.keySet());
        assertThat(view).containsEntry("prompt_preview", "do it now").containsEntry("duration_seconds", 2.0)
                .containsEntry("cost_usd", 0.5).containsEntry("exit_code", 3).containsEntry("network", false);
        assertThat(validator.validate(TaskViews.TASK_SCHEMA, view).valid()).isTrue();
    }

    @Test
    void aViewOfSomeFieldsHasThoseInTheOrderAskedAndAPreviewIsOneLineOfAtMost120Characters() {
        String prompt = "\n  fix   the\tbuild\n\n" + "then tidy up ".repeat(20);
        Task task = new Task("task-2", "alice", prompt, null, null, null, "/w", "local", new Resources(1, 4, null),
                30, 60, 1, null, "task-2", null, false, false, TaskStatus.RUNNING, null,
                Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:01Z"), null,
                Instant.parse("2026-01-01T00:00:01Z"), null, new TaskResult(null, null, null, null, null, null, null, null, null));
        Map<String, Object> view = TaskViews.view(task, null, List.of("prompt_preview", "id"));
        assertThat(view.keySet()).containsExactly("prompt_preview", "id");
        String preview = (String) view.get("prompt_preview");
        assertThat(preview).hasSize(120).startsWith("fix the build then tidy up then").endsWith("...").doesNotContain("  ", "\n", "\t");
        assertThat(TaskViews.view(task, null, List.of("prompt_preview")).get("prompt_preview"))
                .isEqualTo(TaskViews.view(task, null).get("prompt_preview"));
        Task shortPrompt = new Task("task-3", "alice", " a\n b ", null, null, null, "/w", "local", new Resources(1, 4, null),
                30, 60, 1, null, "task-3", null, false, false, TaskStatus.RUNNING, null,
                Instant.parse("2026-01-01T00:00:00Z"), null, null, Instant.parse("2026-01-01T00:00:00Z"), null,
                new TaskResult(null, null, null, null, null, null, null, null, null));
        assertThat(TaskViews.view(shortPrompt, null, List.of("prompt_preview"))).containsEntry("prompt_preview", "a b");
    }

    @Test
    void aProjectionKeepsOnlyTheNamedFieldsAndUnknownNamesAreRefused() {
        Map<String, Object> view = Map.of("id", "t", "status", "running", "prompt", "p");
        assertThat(TaskViews.project(view, List.of("status", "id"))).containsOnlyKeys("status", "id");
        assertThat(TaskViews.fieldsOrDefault(List.of(), TaskViews.LIST_FIELDS)).isEqualTo(TaskViews.LIST_FIELDS);
        assertThatThrownBy(() -> TaskViews.fieldsOrDefault(List.of("colour"), TaskViews.LIST_FIELDS))
                .isInstanceOf(ToolError.class).hasMessageContaining("colour")
                .satisfies(e -> assertThat(((ToolError) e).field()).isEqualTo("fields"));
    }

    @Test
    void containerAndSessionViewsConformToTheirSchemas() {
        Task task = new Task("task-2", "bob", "p", null, null, null, "/w", "local", new Resources(1, 4, null), 30, 60, 1,
                null, "task-2", null, true, true, TaskStatus.RUNNING, null, Instant.now(), Instant.now(), null, Instant.now(),
                null, TaskResult.NONE);
        Container container = new Container("c-1", "task-2", "bob",
                new RuntimeHandle("local", "parhelia-task-2", "task-2", Map.of()), Map.of("parhelia.io/managed", "true"),
                new Resources(2, 8, "T4"), Container.State.RUNNING, Container.Health.DEGRADED, 1, Instant.now(),
                Instant.now(), null, null, null, null, null);
        assertThat(validator.validate(TaskViews.TASK_SCHEMA, TaskViews.view(task, container)).valid()).isTrue();
        Map<String, Object> full = ContainerViews.container(container, new ContainerService.Cost(0.123456, 0.5));
        assertThat(full.keySet()).containsExactlyInAnyOrderElementsOf(ContainerViews.FIELDS.keySet());
        assertThat(full).containsEntry("cost_accrued_usd", 0.6235).containsEntry("health", "degraded");
        assertThat(validator.validate(ContainerViews.CONTAINER_SCHEMA, full).valid()).isTrue();
        Session session = new Session("s-1", "task-2", "c-1", "bob", Session.State.ENDED, true, Instant.now(),
                Instant.now(), "done");
        assertThat(validator.validate(ContainerViews.SESSION_SCHEMA, ContainerViews.session(session)).valid()).isTrue();
    }
}
