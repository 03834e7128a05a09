package io.parhelia.engine.task;

/** What the agent reported about its run, parsed from its output; fields it never reported are null. */
public record TaskResult(String agentSessionId, String text, String subtype, Boolean isError, Double costUsd,
                         Long inputTokens, Long outputTokens, Integer numTurns, Long durationMs) {

    public static final TaskResult NONE = new TaskResult(null, null, null, null, null, null, null, null, null);
}
