import type { Balancer, BalancedTarget } from './types.js';
import { isExcluded } from './types.js';

interface Node<T> {
  readonly target: T;
  level: number;
  prev: Node<T> | undefined;
  next: Node<T> | undefined;
}

interface Level<T> {
  head: Node<T> | undefined;
  tail: Node<T> | undefined;
}

/**
 * The eligible target with the fewest requests in flight; ties go round-robin. Targets sit in
 * one linked list per in-flight count, so a pick reads the head of the lowest non-empty list
 * and started/finished move one node by one level: O(1) each, whatever the number of targets.
 * A pick moves its target to the back of its list, which is what makes ties rotate.
 */
export function createLeastConnections<T extends BalancedTarget>(targets: readonly T[]): Balancer<T> {
  let nodes: Array<Node<T> | undefined> = [];
  let levels: Array<Level<T>> = [];
  let lowest = 0;
  let count = 0;

  function unlink(node: Node<T>): void {
    const level = levels[node.level]!;
    if (node.prev) node.prev.next = node.next;
    else level.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else level.tail = node.prev;
    node.prev = node.next = undefined;
  }

  function append(node: Node<T>, at: number): void {
    while (levels.length <= at) levels.push({ head: undefined, tail: undefined });
    const level = levels[at]!;
    node.level = at;
    node.prev = level.tail;
    if (level.tail) level.tail.next = node;
    else level.head = node;
    level.tail = node;
  }

  function move(target: T): void {
    const node = nodes[target.index];
    if (!node) return;
    const to = Math.max(0, target.inFlight);
    if (to === node.level) return;
    const from = node.level;
    unlink(node);
    append(node, to);
    if (to < lowest) lowest = to;
    else if (from === lowest) while (!levels[lowest]!.head) lowest++;
  }

  function reset(flags: readonly boolean[]): void {
    nodes = targets.map(() => undefined);
    levels = [];
    count = 0;
    lowest = Infinity;
    for (const target of targets) {
      if (!flags[target.index]) continue;
      const node: Node<T> = { target, level: 0, prev: undefined, next: undefined };
      nodes[target.index] = node;
      append(node, Math.max(0, target.inFlight));
      lowest = Math.min(lowest, node.level);
      count++;
    }
    if (count === 0) lowest = 0;
  }

  reset(targets.map(() => true));

  return {
    reset,
    pick({ exclude }) {
      if (count === 0) return undefined;
      const level = levels[lowest]!;
      const head = level.head!;
      if (head !== level.tail) {
        unlink(head);
        append(head, lowest);
      }
      if (!isExcluded(head.target, exclude)) return head.target;
      // A retry: the least loaded target not tried yet, scanning upward (rare, bounded by n).
      for (let at = lowest; at < levels.length; at++) {
        for (let node = levels[at]!.head; node; node = node.next) {
          if (!isExcluded(node.target, exclude)) return node.target;
        }
      }
      return head.target;
    },
    started: move,
    finished: move,
  };
}
