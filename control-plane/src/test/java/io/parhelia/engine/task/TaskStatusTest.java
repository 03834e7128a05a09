package io.parhelia.engine.task;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TaskStatusTest {

    /** The task's life, row by row: from a status, exactly these moves are allowed. */
    @ParameterizedTest(name = "{0} -> [{1}]")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            pending         | starting failed cancelled
            starting        | running failed cancelled lost
            running         | completed failed cancelled timed_out budget_exceeded lost
            completed       | none
            failed          | none
            cancelled       | none
            timed_out       | none
            budget_exceeded | none
            lost            | none
            """)
    void exactlyTheMovesOfTheStateMachineAreAllowed(String from, String allowed) {
        TaskStatus status = TaskStatus.fromWire(from);
        Set<TaskStatus> expected = EnumSet.noneOf(TaskStatus.class);
        if (allowed != null) {
            Arrays.stream(allowed.trim().split("\\s+")).map(TaskStatus::fromWire).forEach(expected::add);
        }

        for (TaskStatus to : TaskStatus.values()) {
            assertThat(status.canMoveTo(to)).as("%s -> %s", status.wireName(), to.wireName())
                    .isEqualTo(expected.contains(to));
        }
        assertThat(status.isTerminal()).as("terminal means no way out").isEqualTo(expected.isEmpty());
        assertThat(TaskStatus.ACTIVE.contains(status)).isNotEqualTo(status.isTerminal());
    }

    @ParameterizedTest
    @CsvSource({"pending", "starting", "running", "completed", "failed", "cancelled", "timed_out", "budget_exceeded", "lost"})
    void wireNamesRoundTripAndEachStatusHasItsOwnEvent(String wire) {
        TaskStatus status = TaskStatus.fromWire(wire);

        assertThat(status.wireName()).isEqualTo(wire);
        assertThat(status.event().wireName()).isEqualTo(status == TaskStatus.PENDING ? "task_created" : "task_" + wire);
    }
}
