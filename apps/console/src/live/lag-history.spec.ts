import { LagHistory } from './lag-history';

const at = (seconds: number) => 1_700_000_000_000 + seconds * 1000;

describe('LagHistory', () => {
  it('keeps the last samples of each group, oldest first', () => {
    const history = new LagHistory({ capacity: 3, stalledAfterMs: 10_000 });
    let trend;
    for (let i = 0; i < 5; i++) trend = history.record({ group: 'g', totalLag: i, committed: { 't:0': String(i) } }, at(i));
    expect(trend!.lags).toEqual([2, 3, 4]);
    expect(trend!.times).toEqual([at(2) / 1000, at(3) / 1000, at(4) / 1000]);
  });

  it('marks a group stalled once it has lag and its positions have not moved for the threshold', () => {
    const history = new LagHistory({ capacity: 100, stalledAfterMs: 10_000 });
    history.record({ group: 'g', totalLag: 0, committed: { 't:0': '5' } }, at(0));
    expect(history.record({ group: 'g', totalLag: 3, committed: { 't:0': '5' } }, at(5)).stalled).toBe(false);
    const stalled = history.record({ group: 'g', totalLag: 9, committed: { 't:0': '5' } }, at(10));
    expect(stalled).toEqual(expect.objectContaining({ stalled: true, stalledSince: new Date(at(0)).toISOString() }));
  });

  it('a group that moves, or has caught up, is not stalled', () => {
    const history = new LagHistory({ capacity: 100, stalledAfterMs: 10_000 });
    history.record({ group: 'g', totalLag: 50, committed: { 't:0': '1' } }, at(0));
    expect(history.record({ group: 'g', totalLag: 40, committed: { 't:0': '11' } }, at(20)).stalled).toBe(false);
    expect(history.record({ group: 'g', totalLag: 0, committed: { 't:0': '11' } }, at(40))).toEqual(expect.objectContaining({ stalled: false, stalledSince: null }));
  });
});
