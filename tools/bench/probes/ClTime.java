import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
public class ClTime {
  static double bench(Runnable r, int n, int w){ for(int i=0;i<w;i++) r.run(); double[] t=new double[n]; for(int i=0;i<n;i++){long s=System.nanoTime(); r.run(); t[i]=(System.nanoTime()-s)/1e6;} java.util.Arrays.sort(t); return t[n/2]; }
  static NDArray toCl(NDArray x){ Shape s=x.getShape(); return x.transpose(0,2,3,1).reshape(s.get(0), -1).reshape(s.get(0),s.get(2),s.get(3),s.get(1)).transpose(0,3,1,2); }
  public static void main(String[] a) throws Exception {
    int N=Integer.parseInt(a[1]);
    try (NDManager m = NDManager.newBaseManager()) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(Integer.parseInt(a[0]));
      int[][] shapes={{512,512,3,7,1},{512,512,3,14,2},{256,256,3,14,1},{128,128,3,28,1},{64,64,3,56,1},{128,128,3,56,2},{256,64,1,56,1},{64,256,1,56,1},{1024,256,1,14,1},{2048,512,1,7,1},{512,2048,1,7,1}};
      double s1=0,s2=0;
      for (int[] s: shapes) {
        NDArray x=m.randomNormal(new Shape(N,s[0],s[3],s[3]));
        NDArray xc=toCl(x);
        NDArray w=m.randomNormal(new Shape(s[1],s[0],s[2],s[2]));
        NDArray b=m.randomNormal(new Shape(s[1]));
        Shape st=new Shape(s[4],s[4]), pd=new Shape(s[2]/2,s[2]/2), dl=new Shape(1,1);
        double t=bench(()->{ NDArray y=x.getNDArrayInternal().convolution(x,w,b,st,pd,dl,1).singletonOrThrow(); y.close(); },40,10);
        double t2;
        if (s[2]==1 && s[4]==1) {
          NDArray wt=w.reshape(s[1],s[0]).transpose(1,0).reshape(s[0],s[1]); // contiguous [in,out]? reshape of transposed copies
          t2=bench(()->{ NDArray v=xc.transpose(0,2,3,1); NDArray x2=v.reshape(-1, s[0]); NDArray y=x2.matMul(wt); y.addi(b); NDArray o=y.reshape(N,s[3],s[3],s[1]).transpose(0,3,1,2); o.close(); y.close(); x2.close(); v.close();},40,10);
        } else {
          t2=bench(()->{ NDArray y=xc.getNDArrayInternal().convolution(xc,w,b,st,pd,dl,1).singletonOrThrow(); y.close(); },40,10);
        }
        // check equality
        NDArray r1=x.getNDArrayInternal().convolution(x,w,b,st,pd,dl,1).singletonOrThrow();
        NDArray r2=xc.getNDArrayInternal().convolution(xc,w,b,st,pd,dl,1).singletonOrThrow();
        s1+=t; s2+=t2;
        System.out.printf("%dx%d %d->%d @%d s%d N%d: nchw conv %.3f  channels-last %.3f  (out strides cl? diff %.1e)%n",s[2],s[2],s[0],s[1],s[3],s[4],N,t,t2, r1.sub(r2).abs().max().getFloat());
      }
      System.out.printf("sum nchw %.2f cl %.2f%n",s1,s2);
    }
  }
}
