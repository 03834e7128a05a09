package io.parhelia.engine.task;

/**
 * What a caller asks for; null fields take the configured defaults.
 *
 * @param workingDirectory an existing directory to run in, instead of a fresh workspace
 * @param resumeSessionId  an agent conversation to resume
 * @param interactive      the agent takes typed input (parhelia_session_send)
 * @param network          whether the agent may use the network; null for tasks.default_network
 */
public record NewTask(String prompt, String repo, String branch, String workingDirectory, String runtime,
                      Double cpu, Double memoryGb, String gpu, Integer maxTurns, Long timeoutSeconds,
                      String resumeSessionId, boolean interactive, Boolean network) {

    public static NewTask ofPrompt(String prompt) {
        return new NewTask(prompt, null, null, null, null, null, null, null, null, null, null, false, null);
    }
}
