/**
 * Which task family a command runs on ({@code --task}), resolved once: the built-in families with
 * their difficulty levels and shipped initial policies ({@link
 * dev.rredcot.model.family.BuiltInTask}) or any family of the registry's syntax, such as a JSONL
 * file ({@link dev.rredcot.model.family.TaskChoice}).
 */
package dev.rredcot.model.family;
