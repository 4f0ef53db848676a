import { partitionLag } from './consumer-lag';

describe('partitionLag', () => {
  it('counts from the committed offset to the end of the log', () => {
    expect(partitionLag({ topic: 't', partition: 2, committedOffset: '7', logStart: '3', logEnd: '10' })).toEqual({ topic: 't', partition: 2, committedOffset: '7', endOffset: '10', lag: '3' });
  });

  it('counts from the first offset still in the log for a group that committed nothing, which would start there', () => {
    expect(partitionLag({ topic: 't', partition: 0, committedOffset: '-1', logStart: '4', logEnd: '10' })).toMatchObject({ committedOffset: '-1', lag: '6' });
  });

  it('keeps offsets beyond 2^53 exact', () => {
    expect(partitionLag({ topic: 't', partition: 0, committedOffset: '9007199254740993', logStart: '0', logEnd: '9007199254740995' }).lag).toBe('2');
  });
});
