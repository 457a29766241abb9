import { describe, expect, it } from 'vitest';
import { readYaml, writeYaml, YamlSyntaxError } from './yaml.ts';

describe('readYaml', () => {
  it('reads a kubeconfig as kubectl writes it, JSON too, and an empty document as null', () => {
    const text = [
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      '    certificate-authority-data: LS0tLS1CRUdJTg==',
      '    server: https://127.0.0.1:6443',
      '  name: c',
      "current-context: 'c'",
      'users:',
      '- name: u',
      '  user: {token: "0123"}',
      '',
    ].join('\n');
    expect(readYaml(text)).toEqual({
      apiVersion: 'v1',
      clusters: [
        { cluster: { 'certificate-authority-data': 'LS0tLS1CRUdJTg==', server: 'https://127.0.0.1:6443' }, name: 'c' },
      ],
      'current-context': 'c',
      users: [{ name: 'u', user: { token: '0123' } }],
    });
    expect(readYaml('{"kind": "Config", "users": []}')).toEqual({ kind: 'Config', users: [] });
    expect(readYaml('')).toBeNull();
    expect(readYaml('# nothing yet\n')).toBeNull();
  });

  it('a syntax error names line, column and reason, and quotes nothing of the text', () => {
    const text = 'users:\n- name: u\n  user:\n    token: s3cr3tValue: x\n';
    let err: unknown;
    try {
      readYaml(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(YamlSyntaxError);
    expect((err as Error).message).toMatch(/^line 4, column \d+: bad indentation of a mapping entry$/);
    expect((err as Error).message).not.toContain('s3cr3t');
  });

  it('quotes no alias or tag the text holds (a password can start with * or !)', () => {
    for (const text of [
      'password: *Secr3tPw\n',
      'password: !Secr3tPw\n',
      'password: !<tag:Secr3tPw> x\n',
      '%TAG !Secr3t! tag:x,2000:\n---\na: !Secr3t!y 1\n',
      'a: !Se@cr3t x\n',
    ]) {
      let message = '';
      try {
        readYaml(text);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^line \d+, column \d+: /);
      expect(message).not.toContain('cr3t');
    }
  });

  it('refuses a key given twice, and a second document', () => {
    expect(() => readYaml('token: a\ntoken: b\n')).toThrow(/^line 2, column 1: duplicated mapping key$/);
    expect(() => readYaml('a: 1\n---\nb: 2\n')).toThrow(/^2 YAML documents where one was expected/);
  });
});

describe('writeYaml', () => {
  it('writes what readYaml reads back, quoting strings a YAML 1.1 reader would retype', () => {
    const value = { a: 'on', b: '0123', c: 'x: y', d: ['- z'], e: { token: 'abc' }, f: 'two\nlines\n', g: null };
    const text = writeYaml(value);
    expect(text).toContain("a: 'on'");
    expect(text).toContain("b: '0123'");
    expect(readYaml(text)).toEqual(value);
  });
});
