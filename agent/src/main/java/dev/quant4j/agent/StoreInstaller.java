package dev.quant4j.agent;

import dev.quant4j.agent.store.AgentFieldStore;
import dev.quant4j.agent.transform.TransformRecord;
import dev.quant4j.fields.internal.FieldHooks;

/**
 * The only agent class that links to the runtime at start-up; kept apart so that a missing runtime shows up
 * as a LinkageError here, which the agent reports, rather than as a failure to load the agent class itself.
 */
final class StoreInstaller {
    private StoreInstaller() {}

    static void install(AgentOptions options, TransformRecord record) {
        FieldHooks.install(new AgentFieldStore(options, record));
    }
}
