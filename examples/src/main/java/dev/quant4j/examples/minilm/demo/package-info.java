/**
 * {@code ./quant4j demo} ({@link dev.quant4j.examples.minilm.demo.Demo}): quantizes the model with
 * several schemes in both modes ({@link dev.quant4j.examples.minilm.demo.DemoMode}), measures size, heap
 * and quality against float32, and reports them as a table, JSON or HTML.
 */
package dev.quant4j.examples.minilm.demo;
