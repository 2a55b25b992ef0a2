/**
 * Not API: the agent's side of the runtime. {@link dev.quant4j.fields.internal.FieldHooks} holds the installed
 * {@link dev.quant4j.fields.internal.FieldStore} and the static hooks that the Java agent's rewritten bytecode
 * calls from the application's classes ({@code read}, {@code write}, {@code cloned}, {@code writeObject},
 * {@code defaultWriteObject}); the agent implements {@code FieldStore} and installs it at start-up. Public only
 * because that code lives in other packages, modules and class loaders; names, signatures and behaviour may change
 * in any release together with the agent. Programs call {@link dev.quant4j.fields.QuantizedFields}.
 */
package dev.quant4j.fields.internal;
